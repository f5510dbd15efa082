import Foundation

/// Turns a `--model` argument into checked model files.
///
/// - An existing directory (or anything written as a path) is used as is; it must hold
///   config.json, model.safetensors, vocab.json and merges.txt (GPT-2), or config.json,
///   tokenizer.json and model.safetensors or model.safetensors.index.json with its shards
///   (every other family). Pickle checkpoints are never loaded.
/// - Otherwise the argument is a hub id `[ORG/]NAME[@REVISION]`. The local Hugging Face cache
///   is searched first, under the id as given and under its alias (`gpt2` and
///   `openai-community/gpt2` are one repository but two cache folders). Missing files are
///   downloaded into the cache under the id as given, unless HF_HUB_OFFLINE is set:
///   config.json first, whose `model_type` says which the other files are.
///
/// Environment: HF_HUB_CACHE, HF_HOME, HOME (cache location); HF_HUB_OFFLINE; HF_ENDPOINT
/// (default https://huggingface.co); HF_TOKEN (gated repositories); HF_HUB_DOWNLOAD_TIMEOUT
/// (idle seconds per request, default 60).
public struct HFModelLocator {
    /// The variables read (HF_HUB_CACHE, HF_HOME, HOME, HF_HUB_OFFLINE, HF_ENDPOINT, HF_TOKEN,
    /// HF_HUB_DOWNLOAD_TIMEOUT); the process environment by default, a fixed map in tests.
    public let environment: [String: String]
    /// Called as each downloaded file's bytes arrive (never for cache hits); nil = silent.
    public let progress: ((HubProgress) -> Void)?

    /// A locator over `environment`, reporting downloads to `progress`. Nothing is read until `resolve`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, progress: ((HubProgress) -> Void)? = nil) {
        self.environment = environment
        self.progress = progress
    }

    /// The cache this locator reads and fills.
    public var cache: HFCache { HFCache(environment: environment) }

    /// huggingface_hub treats 1/ON/YES/TRUE (any case) as set.
    public var isOffline: Bool {
        ["1", "on", "yes", "true"].contains((environment["HF_HUB_OFFLINE"] ?? "").lowercased())
    }

    /// `$HF_ENDPOINT` without trailing slashes, else https://huggingface.co: the base of download URLs.
    public var endpoint: String {
        var value = environment["HF_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://huggingface.co"
        while value.hasSuffix("/") { value.removeLast() }
        return value
    }

    /// The checked model files for `model`: a local directory as is, else a hub id from the cache
    /// (under the id and its alias), downloading what is missing into the cache. Throws
    /// `HubError`: `.notADirectory` / `.directoryIncomplete` for a bad directory, `.invalidRepoID`,
    /// `.offlineAndNotCached` under HF_HUB_OFFLINE, and the download errors (`.httpStatus`,
    /// `.network`, `.sizeMismatch`, `.checksumMismatch`, `.io`).
    public func resolve(_ model: String) throws -> ModelFiles {
        if let directory = localDirectory(model) {
            return try ModelFiles.validated(directory: directory)
        }
        let reference = try HFRepoReference(parsing: model)
        let cache = self.cache

        var searched: [String] = []
        for candidate in reference.cacheCandidates {
            searched.append(cache.repoFolder(candidate))
            guard let commit = cache.commit(repoID: candidate, revision: reference.revision) else { continue }
            let snapshot = cache.snapshotFolder(repoID: candidate, commit: commit)
            if ModelFiles.missingFiles(in: snapshot).isEmpty {
                return ModelFiles(directory: snapshot, repoID: reference.repoID, revision: reference.revision, commit: commit)
            }
        }

        // Fill the cache folder of the id as given, keeping whatever it already has.
        var commit = cache.commit(repoID: reference.repoID, revision: reference.revision)
        let missing = commit.map { ModelFiles.missingFiles(in: cache.snapshotFolder(repoID: reference.repoID, commit: $0)) }
            ?? ModelFiles.requiredFileNames
        if isOffline {
            throw HubError.offlineAndNotCached(repoID: reference.repoID, revision: reference.revision, missing: missing, searched: searched)
        }
        let downloader = HubDownloader(endpoint: endpoint, token: environment["HF_TOKEN"], timeoutSeconds: downloadTimeoutSeconds,
                                       cache: cache, progress: progress)
        var snapshot: String? { commit.map { cache.snapshotFolder(repoID: reference.repoID, commit: $0) } }
        func fetch(_ file: String) throws {
            if let snapshot, Self.isRegularFile((snapshot as NSString).appendingPathComponent(file)) { return }
            // Once a commit is known, ask for it rather than the branch, so that every file
            // comes from one snapshot even if the branch moves meanwhile.
            let stored = try downloader.fetch(repoID: reference.repoID, revision: commit ?? reference.revision, file: file)
            if commit == nil { commit = stored }
        }
        // config.json first: its model_type says which files the rest of the model is.
        try fetch("config.json")
        if ModelTokenizer.modelType(directory: snapshot!) ?? "gpt2" == "gpt2" {
            for file in ModelFiles.requiredFileNames { try fetch(file) }
        } else {
            try fetch("tokenizer.json")
            // BOS/EOS may live only there (HFTokenizer reads it when present); the hub answers
            // 404 for a repository without one, which is not an error.
            do { try fetch("tokenizer_config.json") } catch let HubError.httpStatus(_, status, _, _) where status == 404 {}
            try fetchWeights(fetch, snapshot: snapshot!)
        }
        guard let commit else {
            throw HubError.io(path: cache.repoFolder(reference.repoID), operation: "resolve revision \(reference.revision)", message: "no commit known after download")
        }
        try cache.writeRef(repoID: reference.repoID, revision: reference.revision, commit: commit)
        return try ModelFiles.validated(directory: cache.snapshotFolder(repoID: reference.repoID, commit: commit),
                                        repoID: reference.repoID, revision: reference.revision, commit: commit)
    }

    /// The weights of a tokenizer.json family: `model.safetensors`, or, when the repository has
    /// none (404, as every sharded checkpoint), `model.safetensors.index.json` and each shard
    /// its weight_map names, in name order.
    private func fetchWeights(_ fetch: (String) throws -> Void, snapshot: String) throws {
        // A snapshot that already holds the index is sharded: no need to ask for the single file.
        if !Self.isRegularFile((snapshot as NSString).appendingPathComponent("model.safetensors.index.json")) {
            do {
                try fetch("model.safetensors")
                return
            } catch let HubError.httpStatus(_, status, _, _) where status == 404 {}
            try fetch("model.safetensors.index.json")
        }
        let shards = ModelFiles.shardNames(indexPath: (snapshot as NSString).appendingPathComponent("model.safetensors.index.json"))
        guard !shards.isEmpty else {
            throw HubError.io(path: (snapshot as NSString).appendingPathComponent("model.safetensors.index.json"), operation: "read weight_map",
                              message: "the index names no shard file in its weight_map")
        }
        for shard in shards { try fetch(shard) }
    }

    private static func isRegularFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    private var downloadTimeoutSeconds: Double {
        environment["HF_HUB_DOWNLOAD_TIMEOUT"].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil } ?? 60
    }

    /// The argument as a directory path when it names something on disk or is written as a
    /// path (absolute, ./, ../, ~, or more than one '/'); nil for a hub id.
    private func localDirectory(_ model: String) -> String? {
        let expanded = HFCache.expandTilde(model, environment: environment)
        let idPart = model.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let looksLikePath = expanded.hasPrefix("/") || model.hasPrefix("./") || model.hasPrefix("../") || model.hasPrefix("~")
            || model == "." || model == ".." || idPart.split(separator: "/", omittingEmptySubsequences: false).count > 2 || idPart.hasSuffix("/")
        if looksLikePath || FileManager.default.fileExists(atPath: expanded) { return expanded }
        return nil
    }
}
