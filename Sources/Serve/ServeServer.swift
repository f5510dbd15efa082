import Dispatch
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix

/// `ServeAPI` behind Hummingbird: the only file of the module that knows HTTP's transport.
/// Each request's body is collected up to the body limit (413 past it), turned into a
/// `ServeRequest`, and answered where it costs least without blocking a loop: on the event
/// loop itself when `ServeAPI.respondFromMemory` can answer it (a kept document's row, a kept
/// feature, an error), else on a concurrent dispatch queue, because the other handlers block
/// on disk reads and on BLAS. With `adoptEventLoopsForConcurrency()` the connection's task
/// runs on its channel's event loop, so a memory-only answer makes no thread switch at all;
/// each queued one makes two.
public enum ServeServer {
    /// Makes NIO's event loops (one per core) Swift Concurrency's global executor, so
    /// Hummingbird's per-connection tasks run on the loop that does their socket I/O instead of
    /// hopping to the cooperative pool and back on every request part (the profile in
    /// docs/SERVE.md: most of a /rows request was those hops). Process-wide: call it once,
    /// from the main thread, before `run`, and only in a process where nothing blocks inside
    /// Swift Concurrency (here every blocking handler runs on the dispatch queue). Returns
    /// whether it took; without it everything still works, with the hops.
    @discardableResult
    public static func adoptEventLoopsForConcurrency() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    /// Binds `host:port` (port 0: a free port) and serves until SIGINT or SIGTERM.
    /// `onListening` gets the address actually bound, once the socket accepts connections.
    public static func run(api: ServeAPI, host: String, port: Int,
                           onListening: @escaping @Sendable (_ host: String, _ port: Int) -> Void) async throws {
        let work = DispatchQueue(label: "saestore.serve.handlers", qos: .userInitiated, attributes: .concurrent)
        let maxBodyBytes = api.explorer.limits.maxBodyBytes
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            var body: [UInt8] = []
            if request.method == .post || request.method == .put {
                do {
                    let buffer = try await request.body.collect(upTo: maxBodyBytes)
                    body = Array(buffer.readableBytesView)
                } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
                    return response(ServeResponse.error(.bodyTooLarge(limitBytes: maxBodyBytes)))
                }
            }
            let target = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            let served = ServeRequest(method: request.method.rawValue, target: target, body: body,
                                      authorization: request.headers[.authorization])
            if let answer = api.respondFromMemory(to: served) { return response(answer) }
            let answer = await withCheckedContinuation { (done: CheckedContinuation<ServeResponse, Never>) in
                work.async { done.resume(returning: api.respond(to: served)) }
            }
            return response(answer)
        }
        // Stdout carries one line, "listening on …", that scripts wait for; the server's own log
        // goes to stderr, warnings and worse unless LOG_LEVEL says otherwise.
        var logger = Logger(label: "saestore.serve", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        let app = Application(responder: responder,
                              configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "saestore"),
                              onServerRunning: { channel in onListening(host, channel.localAddress?.port ?? port) },
                              logger: logger)
        try await app.runService()
    }

    static func response(_ answer: ServeResponse) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = answer.contentType
        // The page and the API are one origin; nothing here is for other sites to embed.
        headers[.cacheControl] = "no-store"
        return Response(status: HTTPResponse.Status(code: answer.status), headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}
