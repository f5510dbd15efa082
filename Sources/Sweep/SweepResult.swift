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

    /// The JSON file `write(to:)` puts in the sweep's directory; `read(from:)` reads it back.
    public static let jsonFileName = "sweep.json"
    /// The Markdown summary `write(to:)` puts beside it: settings, then one table row per member
    /// (λ, k, L0, FVE, MSE, dead and dense latents, ΔCE and KL in nats, CE recovered, …).
    public static let markdownFileName = "sweep.md"
    /// The SVG plot `write(to:)` puts beside it: L0 (log scale) against FVE and, when the model
    /// was given, against CE loss recovered; one point per member.
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

    /// Decodes a sweep.json written by `write(to:)` (non-finite numbers stored as "inf"/"nan" strings).
    public static func read(from url: URL) throws -> SweepResult {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(SweepResult.self, from: Data(contentsOf: url))
    }
}
