/// How a column's values are stored on disk. Activations are f32 in memory whatever the
/// codec; integer columns are u32/u64 in memory and on disk.
public enum ColumnCodec: String, Codable, Sendable, CaseIterable {
    /// IEEE float32, lossless.
    case f32
    /// IEEE half, round to nearest even; values beyond ±65504 are refused, not clipped.
    case f16
    /// bfloat16 (the top 16 bits of f32), round to nearest even.
    case bf16
    /// Lossy: one f32 scale per row (absmax / 127) and one signed byte per value.
    case int8
    /// Lossy, keeps outliers: per chunk a robust centre and scale per column, per row one
    /// int8 scale plus up to 8 outlier coordinates kept exactly in f32 (docs/FORMAT.md).
    case int8Outlier = "int8-outlier"
    /// Unsigned 32-bit integers (token ids, positions, byte offsets).
    case u32
    /// Unsigned 64-bit integers (document ids).
    case u64

    /// Whether the column is f32 in memory (read with the `[Float]` readers); false for u32 and
    /// u64, read as `UInt64` (`readIntegers`).
    public var isFloat: Bool { self == .f32 || self == .f16 || self == .bf16 || self == .int8 || self == .int8Outlier }

    /// Bytes one value takes before compression (int8's scales and outliers not counted).
    public var storedByteWidth: Int {
        switch self {
        case .f32, .u32: return 4
        case .f16, .bf16: return 2
        case .int8, .int8Outlier: return 1
        case .u64: return 8
        }
    }

    var code: UInt8 {
        switch self {
        case .f32: return 1
        case .f16: return 2
        case .bf16: return 3
        case .int8: return 4
        case .u32: return 5
        case .u64: return 6
        case .int8Outlier: return 7
        }
    }

    init?(code: UInt8) {
        guard let codec = ColumnCodec.allCases.first(where: { $0.code == code }) else { return nil }
        self = codec
    }
}

/// One named, typed column of a store. Every column has one value vector of `width` per row.
public struct ColumnSpec: Codable, Sendable, Equatable {
    /// Column name: a TransformerLens/SAELens hook name for activations
    /// (`blocks.2.hook_resid_pre`) or one of the token metadata names (`token_id`, ...).
    public var name: String
    /// Values per row (the hook's width for activations, 1 for metadata).
    public var width: Int
    /// On-disk encoding.
    public var codec: ColumnCodec
    /// zstd level, 1 (fast) to 19 (small); 3 is zstd's default.
    public var compressionLevel: Int
    /// Whether value bytes are regrouped by significance (all first bytes, then all second
    /// bytes, ...) before zstd: float exponent bytes repeat and compress far better that way.
    public var byteShuffle: Bool

    /// A column spec; nothing is checked until `validate()` (which `StoreManifest.validate()` and
    /// so `StoreWriter.create` call). Defaults: zstd level 3, byte shuffle on.
    public init(name: String, width: Int, codec: ColumnCodec, compressionLevel: Int = 3, byteShuffle: Bool = true) {
        self.name = name
        self.width = width
        self.codec = codec
        self.compressionLevel = compressionLevel
        self.byteShuffle = byteShuffle
    }

    /// Whether the column holds activations, judged by codec: any float codec.
    /// (`StoreManifest.activationColumns` judges by name instead: every column that is not token
    /// metadata.)
    public var isActivation: Bool { codec.isFloat }

    /// Throws `StoreError.invalidArgument` when the name is empty or longer than 200 UTF-8 bytes,
    /// the width is outside 1...1048576 values, or the zstd level is outside 1...22.
    public func validate() throws {
        if name.isEmpty || name.utf8.count > 200 {
            throw StoreError.invalidArgument("column name must be 1-200 bytes, got \"\(name)\"")
        }
        if width < 1 || width > 1 << 20 {
            throw StoreError.invalidArgument("column \(name): width must be 1...1048576, got \(width)")
        }
        if !(1...22).contains(compressionLevel) {
            throw StoreError.invalidArgument("column \(name): zstd level must be 1...22, got \(compressionLevel)")
        }
    }
}

/// The token metadata columns every ingested store carries, so a row leads back to its text.
public enum TokenColumn {
    /// `token_id` (u32): the token's id in the tokenizer's vocabulary (the BOS id on a BOS row).
    public static let tokenID = "token_id"
    /// `doc_id` (u64): the row's document number, its key in the `docs` table (read as the global
    /// number in a sharded store).
    public static let docID = "doc_id"
    /// `pos` (u32): the row's position in the model's context window, not its index in its
    /// document: each window of a long document starts again at 0 (`RowLocation.tokenIndex` is the
    /// index in the document).
    public static let position = "pos"
    /// `byte_start` (u32): start of the token's half-open byte span in its document's UTF-8 text.
    public static let byteStart = "byte_start"
    /// `byte_end` (u32): end (exclusive) of the token's byte span; equal to `byte_start` on a BOS
    /// row.
    public static let byteEnd = "byte_end"

    /// The five metadata columns, width 1, with their codecs and default zstd settings. A store
    /// with documents must hold each of them exactly as specified here (`StoreManifest.validate()`
    /// compares whole specs); ingest lists them before the activation columns.
    public static let all: [ColumnSpec] = [
        ColumnSpec(name: tokenID, width: 1, codec: .u32),
        ColumnSpec(name: docID, width: 1, codec: .u64),
        ColumnSpec(name: position, width: 1, codec: .u32),
        ColumnSpec(name: byteStart, width: 1, codec: .u32),
        ColumnSpec(name: byteEnd, width: 1, codec: .u32),
    ]

    /// Whether `name` is one of the metadata column names (by name only, whatever the column's
    /// codec).
    public static func isMetadata(_ name: String) -> Bool { all.contains { $0.name == name } }
}
