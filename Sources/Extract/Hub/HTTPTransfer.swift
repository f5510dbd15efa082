import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One blocking HTTP request over URLSession (FoundationNetworking on Linux), following
/// redirects, recording every response in the redirect chain (the hub puts X-Repo-Commit and
/// X-Linked-Etag on the 302 that points at its CDN), and streaming the body to a callback.
final class HTTPTransfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    struct Response {
        /// Responses in order: the redirects, then the final one.
        var chain: [HTTPURLResponse] = []
        var final: HTTPURLResponse? { chain.last }

        /// The first value of `header` along the chain.
        func first(_ header: String) -> String? {
            for response in chain { if let value = response.value(forHTTPHeaderField: header) { return value } }
            return nil
        }
    }

    private let onResponse: (HTTPURLResponse) throws -> Bool
    private let onData: (Data) throws -> Void
    private let done = DispatchSemaphore(value: 0)
    private var response = Response()
    private var failure: Error?
    private var transportError: Error?

    /// `onResponse` sees the final response and returns whether to read the body;
    /// `onData` receives the body in pieces. Errors they throw end the transfer.
    private init(onResponse: @escaping (HTTPURLResponse) throws -> Bool, onData: @escaping (Data) throws -> Void) {
        self.onResponse = onResponse
        self.onData = onData
    }

    /// Performs `request` and returns the response chain. Throws what the callbacks threw,
    /// or HubError.network for transport failures.
    static func perform(_ request: URLRequest, timeoutSeconds: Double,
                        onResponse: @escaping (HTTPURLResponse) throws -> Bool = { _ in true },
                        onData: @escaping (Data) throws -> Void = { _ in }) throws -> Response {
        let transfer = HTTPTransfer(onResponse: onResponse, onData: onData)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeoutSeconds
        configuration.timeoutIntervalForResource = 7 * 24 * 3600
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: transfer, delegateQueue: queue)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: request).resume()
        transfer.done.wait()
        if let failure = transfer.failure { throw failure }
        if let error = transfer.transportError {
            throw HubError.network(url: request.url?.absoluteString ?? "?", message: error.localizedDescription, partialByteCount: nil)
        }
        return transfer.response
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        self.response.chain.append(response)
        var next = request
        // Keep Range (resuming) across the redirect, but never send the token to another host
        // (the hub's CDN URLs are pre-signed and must not carry it).
        if let range = task.originalRequest?.value(forHTTPHeaderField: "Range") { next.setValue(range, forHTTPHeaderField: "Range") }
        if let method = task.originalRequest?.httpMethod { next.httpMethod = method }
        if next.url?.host != task.originalRequest?.url?.host { next.setValue(nil, forHTTPHeaderField: "Authorization") }
        completionHandler(next)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let http = response as? HTTPURLResponse else {
            failure = HubError.network(url: response.url?.absoluteString ?? "?", message: "not an HTTP response", partialByteCount: nil)
            completionHandler(.cancel)
            return
        }
        self.response.chain.append(http)
        do {
            completionHandler(try onResponse(http) ? .allow : .cancel)
        } catch {
            failure = error
            completionHandler(.cancel)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        do {
            try onData(data)
        } catch {
            failure = error
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        // A cancel we asked for is not a transport error.
        if let error, failure == nil, (error as NSError).code != NSURLErrorCancelled { transportError = error }
        done.signal()
    }
}
