import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Downloads single files from a Hugging Face hub (or a mirror speaking the same protocol)
/// into an `HFCache`, resumably and verified.
///
/// Per file: a HEAD on `{endpoint}/{repo}/resolve/{revision}/{file}` gives the commit
/// (X-Repo-Commit), the blob name (X-Linked-Etag for LFS files, else ETag) and the size
/// (X-Linked-Size, else Content-Length). Bytes go to blobs/<etag>.incomplete; if that file
/// exists from an interrupted run, a `Range: bytes=<size>-` GET continues it. The finished
/// file must have the announced size and, when the ETag is a sha256 (64 hex digits, as for
/// LFS files), that sha256; only then is it renamed to blobs/<etag> and linked from
/// snapshots/<commit>/<file>.
struct HubDownloader {
    /// Base URL without a trailing slash.
    let endpoint: String
    /// Bearer token (HF_TOKEN), sent only to the endpoint's host.
    let token: String?
    /// Idle timeout per request, seconds.
    let timeoutSeconds: Double
    let cache: HFCache
    let progress: ((HubProgress) -> Void)?

    struct RemoteFile {
        let url: String
        /// Commit the revision resolved to; nil if the server did not say.
        let commit: String?
        /// Normalised ETag (quotes and W/ removed); nil if the server gave none.
        let etag: String?
        let byteCount: Int64?
    }

    func url(repoID: String, revision: String, file: String) -> String {
        // Revisions may contain '/' (refs/pr/1), which must be escaped to stay one path segment.
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/")
        let escapedRevision = revision.addingPercentEncoding(withAllowedCharacters: allowed) ?? revision
        let escapedFile = file.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? file
        return "\(endpoint)/\(repoID)/resolve/\(escapedRevision)/\(escapedFile)"
    }

    private func request(_ urlString: String, method: String) throws -> URLRequest {
        guard let url = URL(string: urlString) else {
            throw HubError.network(url: urlString, message: "not a valid URL (check HF_ENDPOINT)", partialByteCount: nil)
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("saestore", forHTTPHeaderField: "User-Agent")
        // Compressed transfer would make Content-Length and Range refer to different bytes.
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        if let token, !token.isEmpty { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        return request
    }

    private static func checkStatus(_ response: HTTPURLResponse, url: String) throws {
        guard (200..<300).contains(response.statusCode) else {
            throw HubError.httpStatus(url: url, status: response.statusCode,
                                      errorCode: response.value(forHTTPHeaderField: "X-Error-Code"),
                                      message: response.value(forHTTPHeaderField: "X-Error-Message"))
        }
    }

    /// HEAD: where the file lives and what it should be.
    func metadata(repoID: String, revision: String, file: String) throws -> RemoteFile {
        let urlString = url(repoID: repoID, revision: revision, file: file)
        let response = try HTTPTransfer.perform(try request(urlString, method: "HEAD"), timeoutSeconds: timeoutSeconds) { response in
            try Self.checkStatus(response, url: urlString)
            return true
        }
        // The hub's own response carries X-Repo-Commit; its ETag names the blob unless an
        // X-Linked-Etag (LFS) says otherwise. The CDN's headers after a redirect do not count.
        let hubResponse = response.chain.first { $0.value(forHTTPHeaderField: "X-Repo-Commit") != nil } ?? response.final
        let etag = response.first("X-Linked-Etag") ?? hubResponse?.value(forHTTPHeaderField: "ETag")
        let size = response.first("X-Linked-Size").flatMap { Int64($0) }
            ?? response.final?.value(forHTTPHeaderField: "Content-Length").flatMap { Int64($0) }
        return RemoteFile(url: urlString, commit: response.first("X-Repo-Commit"),
                          etag: etag.map(Self.normaliseETag).flatMap { $0.isEmpty ? nil : $0 }, byteCount: size)
    }

    /// Strips the weak marker and quotes; keeps only characters safe in a file name.
    static func normaliseETag(_ raw: String) -> String {
        var etag = raw.trimmingCharacters(in: .whitespaces)
        if etag.hasPrefix("W/") { etag.removeFirst(2) }
        etag = etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        return String(etag.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_".unicodeScalars.contains($0)) })
    }

    static func isSHA256(_ etag: String) -> Bool {
        etag.utf8.count == 64 && etag.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// Makes `file` present in snapshots/<commit>, downloading or resuming as needed.
    /// Returns the commit the file was stored under (the server's, else `revision`).
    func fetch(repoID: String, revision: String, file: String) throws -> String {
        let remote = try metadata(repoID: repoID, revision: revision, file: file)
        let commit = remote.commit ?? revision
        let fileManager = FileManager.default
        if let etag = remote.etag {
            // Same bytes already cached under another revision: just link them.
            let blob = cache.blobPath(repoID: repoID, etag: etag)
            if fileManager.fileExists(atPath: blob),
               remote.byteCount.map({ $0 == fileSize(blob) }) ?? true {
                _ = try cache.link(blob: blob, repoID: repoID, commit: commit, file: file)
                return commit
            }
        }
        // Without an ETag the blob is named by its sha256 once known; the partial file then
        // needs a stable name of its own.
        let partialName = remote.etag ?? "download-" + Self.normaliseETag(file.replacingOccurrences(of: "/", with: "_")) + "-" + Self.normaliseETag(commit)
        let partialPath = cache.incompletePath(repoID: repoID, etag: partialName)
        try cache.createDirectory((partialPath as NSString).deletingLastPathComponent)

        try download(remote: remote, to: partialPath, repoID: repoID, file: file)

        let actualSize = fileSize(partialPath)
        if let expected = remote.byteCount, expected != actualSize {
            _ = unlink(partialPath)
            throw HubError.sizeMismatch(url: remote.url, expectedByteCount: expected, actualByteCount: actualSize)
        }
        var blobName = remote.etag
        if blobName == nil || Self.isSHA256(blobName!) {
            let digest = try SHA256.hexDigest(ofFile: partialPath)
            if let expected = blobName, expected != digest {
                _ = unlink(partialPath)
                throw HubError.checksumMismatch(url: remote.url, expectedSHA256: expected, actualSHA256: digest)
            }
            blobName = digest
        }
        _ = try cache.install(downloadedPath: partialPath, repoID: repoID, etag: blobName!, commit: commit, file: file)
        return commit
    }

    /// GETs the file into `partialPath`, continuing from its current size when possible.
    private func download(remote: RemoteFile, to partialPath: String, repoID: String, file: String) throws {
        var offset = fileSize(partialPath)
        if let total = remote.byteCount, offset >= total {
            // Complete (or overlong) from an earlier run: verification decides.
            if offset == total { return }
            _ = unlink(partialPath)
            offset = 0
        }
        if !FileManager.default.fileExists(atPath: partialPath) {
            guard FileManager.default.createFile(atPath: partialPath, contents: nil) else {
                throw HubError.io(path: partialPath, operation: "create", message: String(cString: strerror(errno)))
            }
        }
        guard let handle = FileHandle(forWritingAtPath: partialPath) else {
            throw HubError.io(path: partialPath, operation: "open for writing", message: String(cString: strerror(errno)))
        }
        defer { try? handle.close() }

        var request = try self.request(remote.url, method: "GET")
        if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
        var bytesDone: Int64 = 0
        let progress = self.progress
        let total = remote.byteCount
        do {
            _ = try HTTPTransfer.perform(request, timeoutSeconds: timeoutSeconds, onResponse: { response in
                if response.statusCode == 416, offset > 0 {
                    // The server cannot continue our partial file: start over next time.
                    try handle.truncate(atOffset: 0)
                    throw HubError.httpStatus(url: remote.url, status: 416, errorCode: nil, message: "range \(offset)- not satisfiable; partial file reset")
                }
                try Self.checkStatus(response, url: remote.url)
                if response.statusCode == 206 {
                    let contentRange = response.value(forHTTPHeaderField: "Content-Range") ?? ""
                    guard contentRange.hasPrefix("bytes \(offset)-") else {
                        throw HubError.network(url: remote.url, message: "asked for bytes \(offset)- but got Content-Range '\(contentRange)'", partialByteCount: offset)
                    }
                    try handle.seek(toOffset: UInt64(offset))
                    bytesDone = offset
                } else {
                    // 200: the server sent the whole file, so the partial one is replaced.
                    try handle.truncate(atOffset: 0)
                    bytesDone = 0
                }
                progress?(HubProgress(repoID: repoID, file: file, bytesDone: bytesDone, totalBytes: total))
                return true
            }, onData: { data in
                try handle.write(contentsOf: data)
                bytesDone += Int64(data.count)
                progress?(HubProgress(repoID: repoID, file: file, bytesDone: bytesDone, totalBytes: total))
            })
        } catch let error as HubError {
            if case let .network(url, message, _) = error {
                try? handle.synchronize()
                throw HubError.network(url: url, message: message, partialByteCount: fileSize(partialPath))
            }
            throw error
        } catch {
            throw HubError.io(path: partialPath, operation: "write", message: "\(error.localizedDescription)")
        }
        do { try handle.synchronize() } catch {
            throw HubError.io(path: partialPath, operation: "fsync", message: "\(error.localizedDescription)")
        }
    }

    private func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }
}
