/// results.json's record of DIR/results.examples: the windows of every reported example,
/// resolved at scan time so `saestore feature` and the report read them instead of decoding
/// activation chunks and re-running the encoder. Absent in results written before them.
public struct ExampleWindowsInfo: Codable, Sendable, Equatable {
    /// Layout version of the examples file (ExampleWindowsFile.formatVersion when written).
    public var formatVersion: Int
    /// Tokens of context stored on each side of every example (within its document).
    public var window: Int
    /// Size of the examples file, bytes (a file of another size belongs to another scan).
    public var byteCount: Int
    /// Examples stored: every top example and quantile sample of every feature.
    public var exampleCount: Int
    /// Wall time of resolving and writing them, seconds.
    public var seconds: Double
}
