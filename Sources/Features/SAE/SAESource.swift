import Foundation
import StreamTrain

/// An SAE named the way users name it: a `saestore train` run directory (RUN/run.json,
/// RUN/sae/) or a SAELens directory (cfg.json, sae_weights.safetensors).
public struct SAESource: Sendable {
    /// The SAELens directory the weights come from.
    public let directory: URL
    public let loaded: SAELensSAE
    public let identity: SAEIdentity
    /// The run's settings when `path` was a run directory (store, column, rows).
    public let runConfig: TrainRunConfig?

    public init(path: String) throws {
        let url = URL(fileURLWithPath: path)
        directory = try SAESource.directory(of: path)
        runConfig = directory == url ? nil : try TrainRun.loadConfig(run: url)
        loaded = try SAELensSAE.load(directory: directory)
        identity = try SAEIdentity(directory: directory, loaded: loaded)
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
            throw FeaturesError.invalidArgument("\(path) is neither a training run (run.json) nor a SAELens SAE directory (cfg.json, sae_weights.safetensors)")
        }
    }

    /// The column to scan: the one given, else the run's, else cfg.json's hook_name.
    public func column(_ given: String?) throws -> String {
        if let column = given ?? runConfig?.loader.column ?? loaded.metadata.hookName { return column }
        throw FeaturesError.invalidArgument("\(directory.path) does not say which hook it was trained on; pass --hook")
    }

    /// The store to scan: the one given, else the run's.
    public func store(_ given: String?) throws -> String {
        if let store = given ?? runConfig?.store { return store }
        throw FeaturesError.invalidArgument("pass --store: \(directory.path) is a SAELens directory, which does not record its store")
    }
}
