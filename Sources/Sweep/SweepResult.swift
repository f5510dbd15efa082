import Foundation

/// What `saestore sweep` produced: `DIR/sweep.json`.
public struct SweepResult: Codable, Sendable, Equatable {
    /// The sweep's settings.
    public var config: SweepConfig
    /// One entry per member, in the order given.
    public var members: [SweepMemberResult]
    /// Batches read from the store (each served to every member).
    public var batchCount: Int
    /// Wall-clock seconds of the shared training pass.
    public var trainingSeconds: Double

    public static let jsonFileName = "sweep.json"
    public static let markdownFileName = "sweep.md"
    public static let plotFileName = "sweep.svg"

    /// Writes sweep.json, sweep.md and sweep.svg into `directory`.
    public func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try encoder.encode(self).write(to: directory.appendingPathComponent(Self.jsonFileName), options: .atomic)
        try Data(markdown().utf8).write(to: directory.appendingPathComponent(Self.markdownFileName), options: .atomic)
        try Data(SweepPlot(result: self).svg().utf8).write(to: directory.appendingPathComponent(Self.plotFileName), options: .atomic)
    }

    public static func read(from url: URL) throws -> SweepResult {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(SweepResult.self, from: Data(contentsOf: url))
    }
}
