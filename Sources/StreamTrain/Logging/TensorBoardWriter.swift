import Foundation

/// Writes `DIR/events.out.tfevents.<unix seconds>.<host>` natively: TFRecord-framed Event
/// protos, the first one carrying file_version "brain.Event:2", then one Event per metrics
/// record with every scalar as a Summary.Value (simple_value). TensorBoard and `wandb sync DIR`
/// read it. A resumed run opens a new file in the same directory (TensorBoard merges them) that
/// starts with a SessionLog START at the first replayed step, so the records the killed run
/// wrote after its checkpoint are purged rather than shown twice.
public final class TensorBoardWriter: MetricsLogger {
    /// The event file being written.
    public let fileURL: URL
    private let handle: FileHandle

    /// - Parameter resumingFromStep: the step of the checkpoint a resumed run starts from.
    public init(directory: URL, hostName: String = ProcessInfo.processInfo.hostName,
                date: Date = Date(), resumingFromStep: Int? = nil) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let seconds = Int(date.timeIntervalSince1970)
        var url = directory.appendingPathComponent("events.out.tfevents.\(seconds).\(hostName)")
        var suffix = 1
        while FileManager.default.fileExists(atPath: url.path) {
            // Two writers in the same second (a quick resume) must not share a file.
            url = directory.appendingPathComponent("events.out.tfevents.\(seconds).\(hostName).\(suffix)")
            suffix += 1
        }
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CheckpointError.io(path: url.path, operation: "create event file", message: DurableFile.lastError())
        }
        fileURL = url
        handle = try FileHandle(forWritingTo: url)
        try write(TensorBoardEvent.fileVersion(wallTime: date.timeIntervalSince1970))
        if let resumingFromStep {
            try write(TensorBoardEvent.sessionStart(step: resumingFromStep + 1, wallTime: date.timeIntervalSince1970))
        }
    }

    deinit { try? handle.close() }

    /// Writes one Event with the given scalars at `step`.
    public func addScalars(_ values: [(tag: String, value: Double)], step: Int,
                           wallTime: Double = Date().timeIntervalSince1970) throws {
        try write(TensorBoardEvent.scalars(values.map { ($0.tag, Float($0.value)) }, step: step,
                                           wallTime: wallTime))
    }

    /// Writes `metrics.scalars` as one Event at `metrics.step`.
    public func log(_ metrics: TrainingMetrics) throws {
        try addScalars(metrics.scalars, step: metrics.step, wallTime: metrics.wallTime)
    }

    /// fsyncs the event file.
    public func flush() throws {
        try handle.synchronize()
    }

    private func write(_ event: [UInt8]) throws {
        try handle.write(contentsOf: TFRecord.frame(event))
    }
}
