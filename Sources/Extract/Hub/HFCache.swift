import Foundation

/// The Hugging Face hub cache as huggingface_hub lays it out:
///
///     <root>/models--ORG--NAME/refs/<revision>            holds a commit id
///     <root>/models--ORG--NAME/snapshots/<commit>/<file>  symlink ../../blobs/<etag> (or a plain file)
///     <root>/models--ORG--NAME/blobs/<etag>               the bytes, named by ETag (sha256 for LFS files)
///
/// Reading accepts symlinks or plain files; writing uses blobs + relative symlinks, falling
/// back to a copy where symlinks are unavailable.
public struct HFCache: Sendable {
    /// The cache root (the directory holding `models--*` folders).
    public let rootPath: String

    /// A cache rooted at `rootPath` as given (no tilde expansion, not created until written to).
    public init(rootPath: String) {
        self.rootPath = rootPath
    }

    /// `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub` (huggingface_hub's order).
    public init(environment: [String: String]) {
        if let hubCache = environment["HF_HUB_CACHE"], !hubCache.isEmpty {
            rootPath = HFCache.expandTilde(hubCache, environment: environment)
        } else if let hfHome = environment["HF_HOME"], !hfHome.isEmpty {
            rootPath = (HFCache.expandTilde(hfHome, environment: environment) as NSString).appendingPathComponent("hub")
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            rootPath = (home as NSString).appendingPathComponent(".cache/huggingface/hub")
        }
    }

    static func expandTilde(_ path: String, environment: [String: String]) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + path.dropFirst()
    }

    /// `<root>/models--ORG--NAME`.
    public func repoFolder(_ repoID: String) -> String {
        (rootPath as NSString).appendingPathComponent("models--" + repoID.replacingOccurrences(of: "/", with: "--"))
    }

    /// The commit a revision names in this cache: the revision itself when it is a commit id
    /// with a snapshot folder, else the content of refs/<revision>; nil when unknown.
    public func commit(repoID: String, revision: String) -> String? {
        let folder = repoFolder(repoID)
        if HFRepoReference.isCommitHash(revision) {
            let snapshot = (folder as NSString).appendingPathComponent("snapshots/\(revision)")
            return FileManager.default.fileExists(atPath: snapshot) ? revision : nil
        }
        let refPath = (folder as NSString).appendingPathComponent("refs/\(revision)")
        guard let data = FileManager.default.contents(atPath: refPath) else { return nil }
        let commit = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return commit.isEmpty || commit.contains("/") || commit.contains("..") ? nil : commit
    }

    /// `<repo>/snapshots/<commit>`.
    public func snapshotFolder(repoID: String, commit: String) -> String {
        (repoFolder(repoID) as NSString).appendingPathComponent("snapshots/\(commit)")
    }

    func blobPath(repoID: String, etag: String) -> String {
        (repoFolder(repoID) as NSString).appendingPathComponent("blobs/\(etag)")
    }

    /// Where a download in progress accumulates; keeping it across runs is what makes
    /// resuming possible.
    func incompletePath(repoID: String, etag: String) -> String {
        blobPath(repoID: repoID, etag: etag) + ".incomplete"
    }

    /// Records that `revision` currently points at `commit`.
    func writeRef(repoID: String, revision: String, commit: String) throws {
        guard revision != commit else { return }
        let refPath = (repoFolder(repoID) as NSString).appendingPathComponent("refs/\(revision)")
        try createDirectory((refPath as NSString).deletingLastPathComponent)
        do {
            try Data(commit.utf8).write(to: URL(fileURLWithPath: refPath), options: .atomic)
        } catch {
            throw HubError.io(path: refPath, operation: "write ref", message: "\(error.localizedDescription)")
        }
    }

    /// Moves a finished download into blobs/<etag> and links snapshots/<commit>/<file> to it.
    /// Returns the snapshot path.
    func install(downloadedPath: String, repoID: String, etag: String, commit: String, file: String) throws -> String {
        let blob = blobPath(repoID: repoID, etag: etag)
        try createDirectory((blob as NSString).deletingLastPathComponent)
        if downloadedPath != blob {
            _ = unlink(blob)
            guard rename(downloadedPath, blob) == 0 else {
                throw HubError.io(path: blob, operation: "rename from \(downloadedPath)", message: String(cString: strerror(errno)))
            }
        }
        return try link(blob: blob, repoID: repoID, commit: commit, file: file)
    }

    /// Points snapshots/<commit>/<file> at an existing blob (used when another revision
    /// already downloaded the same bytes).
    func link(blob: String, repoID: String, commit: String, file: String) throws -> String {
        let snapshotPath = (snapshotFolder(repoID: repoID, commit: commit) as NSString).appendingPathComponent(file)
        try createDirectory((snapshotPath as NSString).deletingLastPathComponent)
        _ = unlink(snapshotPath)
        // Relative, as huggingface_hub makes them, so the cache can be moved as a whole.
        let depth = file.split(separator: "/").count + 1
        let relative = String(repeating: "../", count: depth) + "blobs/" + (blob as NSString).lastPathComponent
        if symlink(relative, snapshotPath) != 0 {
            do {
                try FileManager.default.copyItem(atPath: blob, toPath: snapshotPath)
            } catch {
                throw HubError.io(path: snapshotPath, operation: "symlink or copy from \(blob)", message: "\(error.localizedDescription)")
            }
        }
        return snapshotPath
    }

    func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw HubError.io(path: path, operation: "create directory", message: "\(error.localizedDescription)")
        }
    }
}
