import ActStore
import Extract
import Foundation
import SAELoading
import StreamTrain

/// One feature's activation on a token.
public struct FeatureActivation: Codable, Sendable, Equatable {
    /// SAE feature id.
    public var feature: Int
    /// Its activation on the token (> 0).
    public var activation: Float
}

/// A token of an encoded text: where it is, and the features that fire on it, strongest first.
public struct EncodedToken: Codable, Sendable, Equatable {
    /// Row index in the answer (BOS rows included), as the rows would be numbered in a store.
    public var index: Int
    /// Position in the model's context window.
    public var position: Int
    /// Token id in the model's vocabulary.
    public var tokenID: UInt32
    /// The token's bytes of the text ("" for BOS).
    public var text: String
    /// Byte span [start, end) in the text's UTF-8 (empty at the next token's start for BOS).
    public var byteStart: Int
    /// End of the byte span (exclusive).
    public var byteEnd: Int
    /// True for the beginning-of-sequence row ingest prepends to each window.
    public var isBOS: Bool
    /// Features with activation > 0, strongest first (ties: smaller id), at most `top`.
    public var features: [FeatureActivation]
    /// How many features fire on the token in all (before `top` cut the list).
    public var firingCount: Int
}

/// POST /encode's answer.
public struct EncodeResult: Codable, Sendable, Equatable {
    /// The store column (hook) the SAE reads.
    public var column: String
    /// SAE directory.
    public var sae: String
    /// Model directory.
    public var model: String
    /// Tokens per window, as the store was ingested.
    public var contextSize: Int
    /// Whether each window starts with BOS, as the store was ingested.
    public var prependBOS: Bool
    /// Every row the text makes, in order.
    public var tokens: [EncodedToken]
}

/// Text → tokens → the model's forward up to the SAE's hook → the SAE's features, the way a
/// store the text was ingested into would give them: the store's context size and BOS, windows
/// grouped into forwards as `Ingester` groups them (the same rows per sgemm, so the same
/// floats), the activations rounded through the store column's codec (`ColumnSpec.storedValues`),
/// and the SAE as every command runs it on that store (`SAESource.runnable`, input scale folded).
/// The model's scratch memory is not shareable, so forwards take a lock; the SAE encode after
/// it runs outside the lock.
final class LiveEncoder: @unchecked Sendable {
    let tokenizer: any TextTokenizer
    let model: any DecoderLanguageModel
    let hook: HookPoint
    let column: ColumnSpec
    let sae: SparseAutoencoder
    let bosTokenID: UInt32
    let contextSize: Int
    let prependBOS: Bool
    /// Windows per forward, as ingest's default `--batch`.
    let windowsPerForward: Int
    let saeDirectory: String
    let modelDirectory: String
    let limits: ServeLimits
    private let modelLock = NSLock()

    init(modelDirectory: String, sae source: SAESource, reader: any StoreReading, limits: ServeLimits) throws {
        let (model, tokenizer) = try LanguageModelLoader.load(files: ModelFiles(directory: modelDirectory))
        let columnName = try source.column(nil)
        column = try reader.spec(columnName)
        guard column.width == source.loaded.sae.dIn else {
            throw FeaturesError.widthMismatch(sae: source.directory.path, dIn: source.loaded.sae.dIn, column: columnName, width: column.width)
        }
        hook = try model.hookPoint(named: columnName)
        guard model.width(of: hook) == column.width else {
            throw FeaturesError.invalidArgument("\(modelDirectory)'s \(columnName) is \(model.width(of: hook)) wide, the store's column \(column.width): the store was made from another model")
        }
        contextSize = reader.manifest.contextSize ?? 128
        prependBOS = reader.manifest.prependBOS ?? true
        // The ingester decides the BOS id; build one (no store is opened) to use its choice.
        let config = IngestConfig(hooks: [columnName], contextSize: contextSize, prependBOS: prependBOS)
        let ingester = try Ingester(model: model, tokenizer: tokenizer, modelName: modelDirectory, config: config)
        bosTokenID = ingester.bosTokenID
        windowsPerForward = config.batchWindows
        sae = try source.runnable(reader: reader, column: columnName).sae
        self.model = model
        self.tokenizer = tokenizer
        saeDirectory = source.directory.path
        self.modelDirectory = modelDirectory
        self.limits = limits
    }

    /// The rows ingest would make of `text` as one document: ids, positions and byte spans.
    struct Rows {
        var tokenIDs: [UInt32] = []
        var positions: [Int] = []
        var spans: [(start: Int, end: Int)] = []
        var isBOS: [Bool] = []
        /// Rows per window, in order.
        var windowLengths: [Int] = []
    }

    func rows(of text: String) throws -> Rows {
        let spans = tokenizer.encodeWithSpans(text, allowSpecial: false)
        guard spans.count <= limits.maxTextTokens else {
            throw ServeError.badParameter("text", "is \(spans.count) tokens; the limit is \(limits.maxTextTokens)")
        }
        var rows = Rows()
        let perWindow = contextSize - (prependBOS ? 1 : 0)
        for start in stride(from: 0, to: spans.count, by: perWindow) {
            let window = start..<min(start + perWindow, spans.count)
            if prependBOS {
                // As ingest stores it: an empty span at the window's first byte.
                rows.tokenIDs.append(bosTokenID)
                rows.positions.append(0)
                rows.spans.append((spans[window.lowerBound].byteStart, spans[window.lowerBound].byteStart))
                rows.isBOS.append(true)
            }
            for (offset, i) in window.enumerated() {
                rows.tokenIDs.append(spans[i].id)
                rows.positions.append(offset + (prependBOS ? 1 : 0))
                rows.spans.append((spans[i].byteStart, spans[i].byteEnd))
                rows.isBOS.append(false)
            }
            rows.windowLengths.append(window.count + (prependBOS ? 1 : 0))
        }
        return rows
    }

    /// The hook's activations of `rows`, (rows, width), as the store column would hold them.
    func activations(_ rows: Rows) throws -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(rows.tokenIDs.count * column.width)
        // Windows grouped as Ingester.takeWindows packs them: up to windowsPerForward·contextSize rows.
        var first = 0, w = 0
        while w < rows.windowLengths.count {
            var count = 0, rowCount = 0
            while w + count < rows.windowLengths.count,
                  count == 0 || rowCount + rows.windowLengths[w + count] <= windowsPerForward * contextSize {
                rowCount += rows.windowLengths[w + count]
                count += 1
            }
            let ids = Array(rows.tokenIDs[first..<first + rowCount])
            let lengths = Array(rows.windowLengths[w..<w + count])
            let acts = try modelLock.withLock { try model.activations(tokens: ids, sequenceLengths: lengths, hooks: [hook]) }
            out += try column.storedValues(acts[hook]!, rowCount: rowCount)
            first += rowCount
            w += count
        }
        return out
    }

    /// Encodes `text`: per token its top `top` features.
    func encode(text: String, top: Int) throws -> EncodeResult {
        let rows = try self.rows(of: text)
        let n = rows.tokenIDs.count
        var latents: [Float] = []
        if n > 0 {
            var encoder = SAEEncoder(sae: sae, maxRowCount: n)
            encoder.encode(try activations(rows), rowCount: n, into: &latents)
        }
        let H = sae.dSAE
        let bytes = Array(text.utf8)
        let tokens = (0..<n).map { r -> EncodedToken in
            let firing = Self.firing(latents[r * H..<(r + 1) * H])
            return EncodedToken(index: r, position: rows.positions[r], tokenID: rows.tokenIDs[r],
                                text: String(decoding: bytes[rows.spans[r].start..<rows.spans[r].end], as: UTF8.self),
                                byteStart: rows.spans[r].start, byteEnd: rows.spans[r].end, isBOS: rows.isBOS[r],
                                features: Array(firing.prefix(top)), firingCount: firing.count)
        }
        return EncodeResult(column: column.name, sae: saeDirectory, model: modelDirectory, contextSize: contextSize,
                            prependBOS: prependBOS, tokens: tokens)
    }

    /// A row's features with activation > 0, strongest first, ties by smaller id.
    static func firing(_ row: ArraySlice<Float>) -> [FeatureActivation] {
        let base = row.startIndex
        return row.indices.filter { row[$0] > 0 }
            .map { FeatureActivation(feature: $0 - base, activation: row[$0]) }
            .sorted { $0.activation != $1.activation ? $0.activation > $1.activation : $0.feature < $1.feature }
    }
}
