import TensorIO
import ActStore
import ArgumentParser
import Foundation

/// Single-row lookup latency on a store of documents (default 1M rows): builds the store
/// with StoreWriter (random word "tokens" with real byte spans, a width-64 f16 activation
/// column), then times, warm, (1) `StoreReader.context(row:window:)` — what `saestore lookup`
/// does — and (2) a feature's examples: 20 scattered rows resolved as Features'
/// ExampleResolver resolves them (row → doc → text, the token columns' chunks and the
/// activation column's chunk decoded once per chunk, the feature's activation on every
/// window row by a dot product). JSON lines out.
struct LookupBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lookup", abstract: "Row → text lookup latency (p50/p99) on a large store.")

    @Option(help: "Rows in the store.") var rows = 1_000_000
    @Option(help: "Activation width.") var width = 64
    @Option(help: "Timed lookups.") var lookups = 5000
    @Option(help: "Timed feature-example sets (20 rows each).") var features = 300
    @Option(help: "Tokens of context on each side.") var window = 12
    @Option(help: "Store directory (built if missing, kept for reruns).") var store = NSTemporaryDirectory() + "saestore-lookup-bench.store"

    func run() throws {
        var rng = SplitMix(state: 42)
        if !FileManager.default.fileExists(atPath: store + "/index/data.mdb") {
            let t0 = Date()
            try build(&rng)
            emit(["stage": "build", "rows": Double(rows), "seconds": Date().timeIntervalSince(t0)])
        }
        let reader = try StoreReader(path: store)
        let rowCount = reader.rowCount
        let decoder = reader.makeDecoder()

        // (1) lookup: warm the page cache and the reader's records, then time.
        for _ in 0..<500 { _ = try reader.context(row: rng.below(rowCount), window: window, decoder: decoder) }
        var times: [Double] = []
        for _ in 0..<lookups {
            let row = rng.below(rowCount)
            let t = DispatchTime.now().uptimeNanoseconds
            guard try reader.context(row: row, window: window, decoder: decoder) != nil else { throw ValidationError("row \(row) has no text") }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6)
        }
        report("context(row:window:\(window))", times, rowCount: rowCount)

        // (2) a feature's examples with their windows' activations.
        let encoderRow = (0..<width).map { _ in Float(rng.below(2001) - 1000) / 1000 }
        for _ in 0..<20 { _ = try featureExamples(reader, (0..<20).map { _ in rng.below(rowCount) }, encoderRow, decoder) }
        times = []
        for _ in 0..<features {
            let picked = (0..<20).map { _ in rng.below(rowCount) }
            let t = DispatchTime.now().uptimeNanoseconds
            let tokens = try featureExamples(reader, picked, encoderRow, decoder)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6)
            precondition(tokens > 20, "resolved \(tokens) tokens")
        }
        report("feature examples (20 rows, ±\(window) tokens, activations)", times, rowCount: rowCount)
    }

    /// Resolves rows as ExampleResolver does; returns the tokens resolved.
    private func featureExamples(_ reader: StoreReader, _ rows: [Int], _ encoderRow: [Float], _ decoder: ChunkDecoder) throws -> Int {
        var windows: [Range<Int>] = []
        var texts: [Int: [UInt8]] = [:]
        for row in rows {
            let doc = try reader.documentID(containing: row)!
            let record = try reader.document(doc)
            windows.append(max(record.firstRow, row - window)..<min(record.rows.upperBound, row + window + 1))
            if texts[doc] == nil { texts[doc] = Array((try reader.text(ofDocument: doc) ?? "").utf8) }
        }
        var byChunk: [Int: [Int]] = [:]
        for (i, w) in windows.enumerated() {
            for chunk in try reader.chunk(containing: w.lowerBound)...reader.chunk(containing: w.upperBound - 1) { byChunk[chunk, default: []].append(i) }
        }
        var values: [Float] = [], ids: [UInt64] = [], starts: [UInt64] = [], ends: [UInt64] = []
        var resolved = 0
        var sink: Float = 0
        for chunk in byChunk.keys.sorted() {
            let chunkRows = try reader.chunkRows(chunk)
            try reader.readChunk(column: "act", chunk: chunk, into: &values, decoder: decoder)
            try reader.readChunk(column: TokenColumn.tokenID, chunk: chunk, into: &ids, decoder: decoder)
            try reader.readChunk(column: TokenColumn.byteStart, chunk: chunk, into: &starts, decoder: decoder)
            try reader.readChunk(column: TokenColumn.byteEnd, chunk: chunk, into: &ends, decoder: decoder)
            for i in byChunk[chunk]! {
                for row in windows[i] where chunkRows.contains(row) {
                    let local = row - chunkRows.lowerBound
                    var dot: Float = 0
                    for c in 0..<width { dot += values[local * width + c] * encoderRow[c] }
                    sink += max(dot, 0) + Float(ids[local] & 1) + Float(ends[local] - starts[local])
                    resolved += 1
                }
            }
        }
        precondition(sink.isFinite)
        return resolved
    }

    private func build(_ rng: inout SplitMix) throws {
        let words = ["the", "of", "and", "to", "king", "lord", "thou", "shall", "love", "death", "crown", "night", "sword", "heart", "speak"]
        let columns = TokenColumn.all + [ColumnSpec(name: "act", width: width, codec: .f16)]
        let writer = try StoreWriter.create(at: store, manifest: StoreManifest(columns: columns, hasDocuments: true, model: "synthetic", contextSize: 128, prependBOS: false))
        var written = 0, doc = 0
        while written < rows {
            let count = min(rows - written, 64 + rng.below(449))
            var text = "", ids: [UInt32] = [], starts: [UInt32] = [], ends: [UInt32] = [], positions: [UInt32] = []
            for t in 0..<count {
                let word = (t == 0 ? "" : " ") + words[rng.below(words.count)]
                starts.append(UInt32(text.utf8.count))
                text += word
                ends.append(UInt32(text.utf8.count))
                ids.append(UInt32(rng.below(50257)))
                positions.append(UInt32(t % 128))
            }
            let acts = (0..<(count * width)).map { _ in Float(rng.below(20001) - 10000) / 5000 }
            try writer.append(DocumentRows(text: text, source: "synthetic", sourceIndex: doc, tokenIDs: ids, positions: positions,
                                           byteStarts: starts, byteEnds: ends, activations: ["act": acts]))
            written += count
            doc += 1
            if doc % 500 == 0 { try writer.commit() }
        }
        try writer.commit()
    }

    private func report(_ what: String, _ milliseconds: [Double], rowCount: Int) {
        let sorted = milliseconds.sorted()
        func pct(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))] }
        let total = milliseconds.reduce(0, +)
        emit(["stage": what, "store_rows": Double(rowCount), "count": Double(sorted.count), "p50_ms": pct(0.5), "p90_ms": pct(0.9), "p99_ms": pct(0.99),
              "max_ms": sorted.last!, "mean_ms": total / Double(sorted.count), "per_second": Double(sorted.count) / (total / 1000)])
    }

    private func emit(_ fields: [String: Any]) {
        let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}

/// SplitMix64: deterministic benchmark data.
typealias SplitMix = SplitMix64

extension SplitMix64 {
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
