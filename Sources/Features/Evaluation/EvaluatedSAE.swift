import Foundation
import StreamTrain

/// An SAE found from `--sae`: either a `saestore train` run directory (RUN/sae/ plus
/// RUN/run.json, which says the store, column and training rows) or a bare SAELens directory.
public struct EvaluatedSAE: Sendable {
    /// The SAE as its weights compute it.
    public var sae: SparseAutoencoder
    /// Where cfg.json and sae_weights.safetensors are.
    public var saeDirectory: URL
    /// The run directory, when the SAE came out of `saestore train` (or `sweep`).
    public var runDirectory: URL?
    /// The run's run.json, when there is one.
    public var runConfig: TrainRunConfig?
    /// cfg.json's metadata (model, hook, context).
    public var metadata: SAELensMetadata
    /// cfg.json's `normalize_activations`: "none", or "expected_average_only_in", which the
    /// evaluation applies by estimating the scale on the evaluated rows (as SAELens' evals do).
    public var normalizeActivations: String

    /// Reads `path` as a run directory or an SAE directory. An SAE directory named `sae` inside
    /// a run directory picks up the run's run.json too.
    public static func load(path: String) throws -> EvaluatedSAE {
        let url = URL(fileURLWithPath: path)
        let files = FileManager.default
        func has(_ directory: URL, _ name: String) -> Bool {
            files.fileExists(atPath: directory.appendingPathComponent(name).path)
        }
        let saeDirectory: URL
        var runDirectory: URL?
        if has(url, "sae/cfg.json") {
            saeDirectory = url.appendingPathComponent("sae")
            runDirectory = url
        } else if has(url, "cfg.json") {
            saeDirectory = url
            let parent = url.deletingLastPathComponent()
            if url.lastPathComponent == "sae", has(parent, "run.json") { runDirectory = parent }
        } else {
            throw EvaluationError.notAnSAE(path: path)
        }
        let loaded = try SAELensSAE.load(directory: saeDirectory)
        var runConfig: TrainRunConfig?
        if let runDirectory, has(runDirectory, "run.json") {
            runConfig = try TrainRun.loadConfig(run: runDirectory)
        }
        return EvaluatedSAE(sae: loaded.sae, saeDirectory: saeDirectory, runDirectory: runDirectory,
                            runConfig: runConfig, metadata: loaded.metadata,
                            normalizeActivations: loaded.normalizeActivations)
    }

    /// The column the SAE reads: run.json's, else cfg.json's hook_name.
    public var hookName: String? { runConfig?.loader.column ?? metadata.hookName }

    /// Rows the run trained on, when run.json says so and `store` is the store it trained on.
    public func trainedRows(store: String, storeRowCount: Int) -> Range<Int>? {
        guard let config = runConfig, Self.sameDirectory(config.store, store) else { return nil }
        let first = min(config.loader.firstRow ?? 0, storeRowCount)
        return first..<max(first, min(config.loader.endRow ?? storeRowCount, storeRowCount))
    }

    static func sameDirectory(_ a: String, _ b: String) -> Bool {
        func canonical(_ path: String) -> String {
            URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        }
        return canonical(a) == canonical(b)
    }
}
