import Foundation

/// `RUN/metrics.jsonl`: one JSON object per metrics record, keys `step`, `tokens`, `epoch`,
/// `wall_time` and every `TrainingMetrics.scalars` tag (SAELens' W&B names).
public final class MetricsJSONLWriter: MetricsLogger {
    /// The file written.
    public let fileURL: URL
    private let handle: FileHandle

    /// Opens `url` for appending. With `keepingStepsUpTo`, records of later steps are dropped
    /// first: a run resumed from the checkpoint of that step will log those steps again.
    public init(url: URL, keepingStepsUpTo lastKeptStep: Int? = nil) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if let lastKeptStep, fm.fileExists(atPath: url.path) {
            let text = try String(contentsOf: url, encoding: .utf8)
            let kept = text.split(separator: "\n").filter { line in
                guard let data = line.data(using: .utf8),
                      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                      let step = object["step"] as? Int else { return false }
                return step <= lastKeptStep
            }
            let rewritten = kept.map { $0 + "\n" }.joined()
            let temporary = url.appendingPathExtension("tmp")
            try DurableFile.write(Data(rewritten.utf8), to: temporary)
            try DurableFile.rename(temporary, to: url)
        }
        if !fm.fileExists(atPath: url.path) {
            guard fm.createFile(atPath: url.path, contents: nil) else {
                throw CheckpointError.io(path: url.path, operation: "create", message: DurableFile.lastError())
            }
        }
        fileURL = url
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    deinit { try? handle.close() }

    /// Appends `metrics` as one JSON line (`line(_:)`).
    public func log(_ metrics: TrainingMetrics) throws {
        try handle.write(contentsOf: Data((Self.line(metrics) + "\n").utf8))
    }

    /// One record as the JSON object metrics.jsonl holds (no newline); `saestore train --wandb`
    /// feeds the same text to its W&B child.
    public static func line(_ metrics: TrainingMetrics) -> String {
        var fields = ["\"step\":\(metrics.step)", "\"tokens\":\(metrics.tokenCount)",
                      "\"epoch\":\(metrics.epoch)", "\"wall_time\":\(json(metrics.wallTime))"]
        for (tag, value) in metrics.scalars { fields.append("\"\(tag)\":\(json(value))") }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// fsyncs the file.
    public func flush() throws {
        try handle.synchronize()
    }

    /// Swift prints the shortest round-tripping decimal, which is valid JSON for finite
    /// values; JSON has no NaN or Infinity, so those become null.
    private static func json(_ value: Double) -> String {
        value.isFinite ? "\(value)" : "null"
    }
}
