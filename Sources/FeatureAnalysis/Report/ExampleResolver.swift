import ActStore
import Foundation
import SAELoading
import StreamTrain

/// Resolves (feature, row) pairs to text with the feature's activation on every token of
/// the window, reading each needed chunk once however many examples fall in it: requests
/// are grouped by chunk, the chunk's activations and token columns decoded, and the
/// activations of just the window rows recomputed (a dot product with the feature's encoder
/// column for ReLU SAEs; a full encode of those rows for TopK, whose k depends on all latents,
/// and for gated SAEs, whose value comes from a second path).
public final class ExampleResolver {
    /// The store the examples are read from (activations, token columns, documents and texts).
    public let reader: any StoreReading
    /// The SAE whose activations are recomputed, input scale already folded in (`SAEInputScale.fold`).
    public let sae: SparseAutoencoder
    /// The activation column (hook) the SAE reads.
    public let column: String
    /// Tokens of context on each side (within the document).
    public let window: Int
    private let decoder: ChunkDecoder
    /// W_encᵀ, (dSAE, dIn): feature f's encoder column as a contiguous row.
    private let encoderRows: [Float]
    /// b_enc − b_dec · W_enc[:, f] when the SAE centres its input, else b_enc.
    private let biases: [Float]
    private var documents: [Int: DocumentRecord] = [:]
    private var texts: [Int: [UInt8]] = [:]
    private var sources: [Int: String] = [:]

    /// Precomputes W_encᵀ and the centred encoder biases (dSAE · dIn floats). Throws
    /// `FeaturesError.widthMismatch` when the column is not `sae.dIn` wide, `.invalidArgument` for a
    /// negative window, and the store's error when the column does not exist.
    public init(reader: any StoreReading, sae: SparseAutoencoder, column: String, window: Int) throws {
        let spec = try reader.spec(column)
        guard spec.width == sae.dIn else {
            throw FeaturesError.widthMismatch(sae: "the SAE", dIn: sae.dIn, column: column, width: spec.width)
        }
        guard window >= 0 else { throw FeaturesError.invalidArgument("--window must be >= 0, got \(window)") }
        self.reader = reader
        self.sae = sae
        self.column = column
        self.window = window
        decoder = reader.makeDecoder()
        let C = sae.dIn, H = sae.dSAE
        var rows = [Float](repeating: 0, count: H * C)
        var biases = sae.weights.bEnc
        for c in 0..<C {
            for j in 0..<H {
                let w = sae.weights.wEnc[c * H + j]
                rows[j * C + c] = w
                if sae.applyBDecToInput { biases[j] -= sae.weights.bDec[c] * w }
            }
        }
        encoderRows = rows
        self.biases = biases
    }

    /// Examples for `requests`, in request order.
    public func resolve(_ requests: [ExampleRequest]) throws -> [FeatureExample] {
        var out = [FeatureExample?](repeating: nil, count: requests.count)
        try resolve(requests) { i, example in out[i] = example }
        return out.map { $0! }
    }

    /// Resolves `requests`, handing each example to `emit` (with its request index) as soon
    /// as its window is complete. Chunks are visited in ascending order and an example only
    /// lives from its window's first chunk to its last, so memory stays at the examples that
    /// overlap one chunk however many are requested (the scan resolves every feature's
    /// examples this way, in one pass over the store).
    public func resolve(_ requests: [ExampleRequest], emit: (Int, FeatureExample) throws -> Void) throws {
        guard !requests.isEmpty else { return }
        let hasDocuments = reader.manifest.hasDocuments
        let C = sae.dIn, H = sae.dSAE
        // Each request's window rows and the chunks it spans; bare rows are emitted at once.
        struct Plan { var rows: Range<Int>; var document: Int; var tokenIndex: Int; var sourceID: Int; var sourceIndex: Int; var chunks: ClosedRange<Int> }
        var plans: [Plan?] = []
        plans.reserveCapacity(requests.count)
        for (i, request) in requests.enumerated() {
            guard (0..<sae.dSAE).contains(request.feature) else {
                throw FeaturesError.invalidArgument("feature \(request.feature) does not exist (the SAE has \(sae.dSAE))")
            }
            if hasDocuments, let doc = try reader.documentID(containing: request.row) {
                let record = try document(doc)
                let rows = max(record.firstRow, request.row - window)..<min(record.rows.upperBound, request.row + window + 1)
                let chunks = try reader.chunk(containing: rows.lowerBound)...reader.chunk(containing: rows.upperBound - 1)
                plans.append(Plan(rows: rows, document: doc, tokenIndex: request.row - record.firstRow,
                                  sourceID: record.sourceID, sourceIndex: record.sourceIndex, chunks: chunks))
            } else {
                // Bare rows (imported without text) have no window to show.
                _ = try reader.chunk(containing: request.row)
                plans.append(nil)
                try emit(i, FeatureExample(feature: request.feature, row: request.row, activation: request.activation,
                                           document: nil, tokenIndex: nil, source: nil, sourceIndex: nil, tokens: [], centerIndex: -1))
            }
        }
        // Requests by first chunk, and every chunk some window touches, ascending.
        let order = plans.indices.filter { plans[$0] != nil }.sorted { plans[$0]!.chunks.lowerBound < plans[$1]!.chunks.lowerBound }
        var touched = Set<Int>()
        for i in order { for chunk in plans[i]!.chunks { touched.insert(chunk) } }
        var next = 0
        var active: [Int: FeatureExample] = [:]

        var values: [Float] = []
        var tokenIDs: [UInt64] = [], starts: [UInt64] = [], ends: [UInt64] = []
        var encoder: SAEEncoder?
        var encoderCapacity = 0
        var encoded: [Float] = []
        for chunk in touched.sorted() {
            while next < order.count, plans[order[next]]!.chunks.lowerBound == chunk {
                let i = order[next], plan = plans[i]!, request = requests[i]
                active[i] = FeatureExample(feature: request.feature, row: request.row, activation: request.activation,
                                           document: plan.document, tokenIndex: plan.tokenIndex, source: try source(plan.sourceID),
                                           sourceIndex: plan.sourceIndex,
                                           tokens: plan.rows.map { ExampleToken(row: $0, tokenID: 0, text: "", activation: 0) },
                                           centerIndex: request.row - plan.rows.lowerBound)
                next += 1
            }
            let members = active.keys.sorted()
            let chunkRows = try reader.chunkRows(chunk)
            try reader.readChunk(column: column, chunk: chunk, into: &values, decoder: decoder)
            try reader.readChunk(column: TokenColumn.tokenID, chunk: chunk, into: &tokenIDs, decoder: decoder)
            try reader.readChunk(column: TokenColumn.byteStart, chunk: chunk, into: &starts, decoder: decoder)
            try reader.readChunk(column: TokenColumn.byteEnd, chunk: chunk, into: &ends, decoder: decoder)
            // TopK (k depends on all latents) and gated (two paths): encode the chunk's needed
            // rows once, all latents.
            var encodedOffset: [Int: Int] = [:]
            if sae.architecture == .topk || sae.architecture.isGated {
                var needed = Set<Int>()
                for i in members { for row in plans[i]!.rows where chunkRows.contains(row) { needed.insert(row) } }
                let rows = needed.sorted()
                var batch = [Float](repeating: 0, count: rows.count * C)
                for (n, row) in rows.enumerated() {
                    let start = (row - chunkRows.lowerBound) * C
                    batch.replaceSubrange(n * C..<(n + 1) * C, with: values[start..<start + C])
                    encodedOffset[row] = n
                }
                if rows.count > encoderCapacity {
                    encoderCapacity = max(rows.count, 256)
                    encoder = SAEEncoder(sae: sae, maxRowCount: encoderCapacity)
                }
                encoder!.encode(batch, rowCount: rows.count, into: &encoded)
            }
            for i in members {
                let plan = plans[i]!
                var example = active.removeValue(forKey: i)!
                let f = example.feature
                let text = try self.text(plan.document)
                for row in plan.rows where chunkRows.contains(row) {
                    let local = row - chunkRows.lowerBound
                    let activation: Float
                    if let offset = encodedOffset[row] {
                        activation = encoded[offset * H + f]
                    } else {
                        activation = dot(values, local * C, f)
                    }
                    let t = row - plan.rows.lowerBound
                    example.tokens[t].activation = activation
                    example.tokens[t].tokenID = UInt32(tokenIDs[local])
                    let start = Int(starts[local]), end = Int(ends[local])
                    guard start <= end, end <= text.count else {
                        throw StoreError.corruptIndex(store: reader.path, table: "texts", detail: "row \(row): span \(start)..<\(end) is outside document \(plan.document)'s \(text.count) bytes")
                    }
                    example.tokens[t].text = String(decoding: text[start..<end], as: UTF8.self)
                }
                if plan.chunks.upperBound == chunk {
                    try emit(i, example)
                } else {
                    active[i] = example
                }
            }
        }
        precondition(active.isEmpty && next == order.count, "ExampleResolver: \(active.count) examples left unresolved")
    }

    /// ReLU(pre-activation) of feature f on the row at `offset` of `values`.
    private func dot(_ values: [Float], _ offset: Int, _ f: Int) -> Float {
        let C = sae.dIn
        var sum: Float = 0
        values.withUnsafeBufferPointer { x in
            encoderRows.withUnsafeBufferPointer { w in
                let xr = x.baseAddress! + offset, wr = w.baseAddress! + f * C
                for c in 0..<C { sum += xr[c] * wr[c] }
            }
        }
        let pre = sum + biases[f]
        // A threshold SAE's latent is open only above its θ (jumprelu; batchtopk at inference).
        if sae.architecture.hasThreshold, !(pre > sae.weights.threshold[f]) { return 0 }
        return max(pre, 0)
    }

    private func document(_ doc: Int) throws -> DocumentRecord {
        if let record = documents[doc] { return record }
        let record = try reader.document(doc)
        documents[doc] = record
        return record
    }

    private func text(_ doc: Int) throws -> [UInt8] {
        if let text = texts[doc] { return text }
        let text = Array((try reader.text(ofDocument: doc) ?? "").utf8)
        if texts.count > 4096 { texts.removeAll(keepingCapacity: true) }
        texts[doc] = text
        return text
    }

    private func source(_ id: Int) throws -> String {
        if let name = sources[id] { return name }
        let name = try reader.sourceName(id)
        sources[id] = name
        return name
    }
}
