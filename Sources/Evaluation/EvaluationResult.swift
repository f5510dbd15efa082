import Foundation

/// Everything `saestore evaluate` measured; written as `evaluation.json` for the report.
public struct EvaluationResult: Codable, Sendable, Equatable {
    /// The store evaluated on.
    public var store: String
    /// The SAE directory (cfg.json, sae_weights.safetensors).
    public var saeDirectory: String
    /// The run directory, when the SAE came from one.
    public var runDirectory: String?
    /// Column (hook) evaluated.
    public var hook: String
    /// SAE shape: architecture as loaded ("standard"/"topk"), d_in, d_sae, k (topk).
    public var architecture: String
    /// Input width in floats: the evaluated column's width (cfg.json `d_in`).
    public var dIn: Int
    /// Latents, the dictionary size (cfg.json `d_sae`).
    public var dSAE: Int
    /// Latents kept per row; nil for architectures without k.
    public var k: Int?
    /// Rows [firstRow, endRow) evaluated.
    public var firstRow: Int
    /// End of the evaluated rows (exclusive).
    public var endRow: Int
    /// Why these rows: "held out", "given" or "all".
    public var rowSelection: String
    /// Rows of the range left out (special tokens, positions below the minimum).
    public var excludedRowCount: Int
    /// Reconstruction of the rows.
    public var reconstruction: ReconstructionMetrics
    /// CE loss with the SAE spliced in (needs the model).
    public var downstream: DownstreamMetrics?
    /// SAE features, then the baselines (MLP neurons, residual dimensions) when measured.
    public var monosemanticity: [UnitKindMonosemanticity]
    /// Things the reader should know (what was skipped and why).
    public var notes: [String]
    /// The settings used.
    public var config: EvaluationConfig

    /// The file name `write(to:)` uses inside a run or results directory.
    public static let fileName = "evaluation.json"

    /// Writes `directory/evaluation.json` (pretty, sorted keys) and returns its URL.
    @discardableResult
    public func write(to directory: URL) throws -> URL {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(Self.fileName)
        try jsonData().write(to: url, options: .atomic)
        return url
    }

    /// The bytes `write(to:)` writes: pretty-printed JSON with sorted keys, non-finite numbers as
    /// the strings "inf", "-inf" and "nan" (JSON has no such numbers; `read(from:)` accepts them).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }

    /// Reads an evaluation.json back.
    public static func read(from url: URL) throws -> EvaluationResult {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(EvaluationResult.self, from: Data(contentsOf: url))
    }

    /// The SAE features' monosemanticity (the first entry), if measured.
    public var features: UnitKindMonosemanticity? { monosemanticity.first }
}
