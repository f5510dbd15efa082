import Foundation

/// The layout of a training run's output directory:
///   RUN/config.json            SAEConfig and SAETrainerOptions of the run
///   RUN/metrics.jsonl          one JSON object per metrics record
///   RUN/tb/                    TensorBoard event files (`wandb sync RUN/tb` imports them)
///   RUN/checkpoints/step-N/    checkpoints (CheckpointStore)
///   RUN/sae/                   the SAELens export (SAELensExporter)
public struct RunDirectory: Sendable {
    /// The run directory.
    public let url: URL

    /// The run directory at `url`, created (with its parents) if absent; throws if it cannot be.
    public init(url: URL) throws {
        self.url = url
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// RUN/config.json: SAEConfig and SAETrainerOptions.
    public var configURL: URL { url.appendingPathComponent("config.json") }
    /// RUN/metrics.jsonl.
    public var metricsURL: URL { url.appendingPathComponent("metrics.jsonl") }
    /// RUN/tb: TensorBoard event files.
    public var tensorBoardDirectory: URL { url.appendingPathComponent("tb") }
    /// RUN/checkpoints.
    public var checkpointsDirectory: URL { url.appendingPathComponent("checkpoints") }
    /// RUN/sae: the SAELens export.
    public var saeDirectory: URL { url.appendingPathComponent("sae") }

    private struct SavedConfig: Codable {
        var sae: SAEConfig
        var trainer: SAETrainerOptions
    }

    /// Writes config.json (the run's config beside its outputs).
    public func saveConfig(_ config: SAEConfig, options: SAETrainerOptions) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(SavedConfig(sae: config, trainer: options))
        let temporary = configURL.appendingPathExtension("tmp")
        try DurableFile.write(data, to: temporary)
        try DurableFile.rename(temporary, to: configURL)
    }

    /// Reads config.json back.
    public func loadConfig() throws -> (SAEConfig, SAETrainerOptions) {
        let saved = try JSONDecoder().decode(SavedConfig.self, from: Data(contentsOf: configURL))
        return (saved.sae, saved.trainer)
    }

    /// metrics.jsonl and TensorBoard loggers; when resuming from the checkpoint of step N,
    /// pass N so metrics.jsonl drops, and TensorBoard hides, the records the resumed run will
    /// write again.
    public func makeLoggers(resumingFromStep step: Int? = nil) throws -> [MetricsLogger] {
        [try MetricsJSONLWriter(url: metricsURL, keepingStepsUpTo: step),
         try TensorBoardWriter(directory: tensorBoardDirectory, resumingFromStep: step)]
    }

    /// The run's checkpoint store.
    public func checkpointStore(keptCount: Int = 3) -> CheckpointStore {
        CheckpointStore(directory: checkpointsDirectory, keptCount: keptCount)
    }
}
