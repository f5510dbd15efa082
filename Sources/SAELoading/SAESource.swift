import ActStore
import Foundation
import StreamTrain

/// An SAE named the way users name it, the one resolver behind `--sae` in train, features,
/// feature, evaluate and sweep: a `saestore train` run directory (RUN/run.json, RUN/sae/), the
/// sae/ directory inside one (its run.json is picked up), or a SAELens directory (cfg.json,
/// sae_weights.safetensors).
public struct SAESource: Sendable {
    /// The SAELens directory the weights come from.
    public let directory: URL
    /// The run directory, when the SAE came out of `saestore train` (or `sweep`).
    public let runDirectory: URL?
    /// cfg.json and the weights as stored (a `normalize_activations` scale not yet applied:
    /// `runnable(reader:column:)` gives the SAE as every command runs it).
    public let loaded: SAELensSAE
    /// What the results record about this SAE: path, hash of its files, architecture and shape.
    public let identity: SAEIdentity
    /// The run's settings when there is a run (store, column, training and held-out rows).
    public let runConfig: TrainRunConfig?
    /// cfg.json's `norm_scaling_factor`, when it records the scale it was trained with.
    public let recordedScale: Float?

    /// Resolves `path` (run directory, its sae/, or a SAELens directory), then loads cfg.json and
    /// the weights, run.json when there is a run, and hashes the SAE's files. Throws
    /// `EvaluationError.notAnSAE` when `path` is none of those, `FeaturesError.invalidArgument`
    /// for a run without an exported SAE, and the loader's errors for damaged files.
    public init(path: String) throws {
        directory = try SAESource.directory(of: path)
        let url = URL(fileURLWithPath: path)
        let files = FileManager.default
        if files.fileExists(atPath: TrainRun.runConfigURL(url).path) {
            runDirectory = url
        } else if url.standardizedFileURL.lastPathComponent == "sae",
                  files.fileExists(atPath: TrainRun.runConfigURL(url.deletingLastPathComponent()).path) {
            runDirectory = url.deletingLastPathComponent()
        } else {
            runDirectory = nil
        }
        runConfig = try runDirectory.map { try TrainRun.loadConfig(run: $0) }
        loaded = try SAELensSAE.load(directory: directory)
        identity = try SAEIdentity(directory: directory, loaded: loaded)
        let cfg = (try? JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("cfg.json")))) as? [String: Any]
        recordedScale = (cfg?["norm_scaling_factor"] as? NSNumber).map { $0.floatValue }.flatMap { $0 > 0 && $0.isFinite ? $0 : nil }
    }

    /// The SAELens directory `path` names (itself, or RUN/sae for a run), without loading it.
    public static func directory(of path: String) throws -> URL {
        let url = URL(fileURLWithPath: path)
        let fm = FileManager.default
        if fm.fileExists(atPath: TrainRun.runConfigURL(url).path) {
            let directory = url.appendingPathComponent("sae")
            guard fm.fileExists(atPath: directory.appendingPathComponent("cfg.json").path) else {
                throw FeaturesError.invalidArgument("\(path) is a training run without an exported SAE (no sae/cfg.json); let `saestore train` finish, or resume it")
            }
            return directory
        } else if fm.fileExists(atPath: url.appendingPathComponent("cfg.json").path) {
            return url
        } else {
            throw EvaluationError.notAnSAE(path: path)
        }
    }

    /// The column the SAE reads: run.json's, else cfg.json's hook_name.
    public var hookName: String? { runConfig?.loader.column ?? loaded.metadata.hookName }

    /// The column to scan: the one given, else the run's, else cfg.json's hook_name.
    public func column(_ given: String?) throws -> String {
        if let column = given ?? hookName { return column }
        throw EvaluationError.unknownHook(sae: directory.path)
    }

    /// The store to scan: the one given, else the run's.
    public func store(_ given: String?) throws -> String {
        if let store = given ?? runConfig?.store { return store }
        throw FeaturesError.invalidArgument("pass --store: \(directory.path) is a SAELens directory, which does not record its store")
    }

    /// Skip rows below this context position: the run's `--min-position`, else 0.
    public var minimumPosition: Int { runConfig?.loader.minimumPosition ?? 0 }

    /// Rows the run trained on, when run.json says so and `store` is the store it trained on.
    public func trainedRows(store: String, storeRowCount: Int) -> Range<Int>? {
        guard let config = runConfig, Self.sameDirectory(config.store, store) else { return nil }
        let first = min(config.loader.firstRow ?? 0, storeRowCount)
        return first..<max(first, min(config.loader.endRow ?? storeRowCount, storeRowCount))
    }

    /// The rows `train --holdout` kept out, when run.json records them for this store.
    public func heldOutRows(store: String, storeRowCount: Int) -> Range<Int>? {
        guard let config = runConfig, Self.sameDirectory(config.store, store), let rows = config.heldOutRows,
              rows.upperBound <= storeRowCount, !rows.isEmpty else { return nil }
        return rows
    }

    /// The SAE as every command runs it on raw rows of `column` in `reader`, with cfg.json's
    /// `normalize_activations` given its one meaning (`SAEInputScale`) and folded into the weights.
    public func runnable(reader: any StoreReading, column: String) throws -> RunnableSAE {
        let scale = try SAEInputScale.resolve(self, reader: reader, column: column)
        return RunnableSAE(sae: try SAEInputScale.fold(loaded.sae, scale: scale.value), scale: scale)
    }

    static func sameDirectory(_ a: String, _ b: String) -> Bool {
        func canonical(_ path: String) -> String {
            URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        }
        return canonical(a) == canonical(b)
    }
}

/// An SAE ready for raw activations, and the input scale folded into it.
public struct RunnableSAE: Sendable {
    /// Weights with the scale folded in: W_enc·s, W_dec/s, b_dec/s (s = 1: as stored).
    public var sae: SparseAutoencoder
    /// Where `sae`'s scale came from and its value s, for reports and results.
    public var scale: SAEInputScale
}
