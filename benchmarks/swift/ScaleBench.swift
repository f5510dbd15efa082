import TensorIO
import ActStore
import ArgumentParser
import Foundation
import StreamTrain
#if canImport(Glibc)
import Glibc
#endif

/// How the costs that issue 16 names grow with the store (benchmarks/scale/run.sh): one phase
/// per process, so each process's peak RSS is its own.
///  build   a store of documents of 128 tokens (position 0..127, like windows), width-16 f16
///          activations, committed every 512 documents (whole chunks), kept for reruns
///  filter  peak RSS of the streaming loader with `--min-position P` drawing `--batches`
///          batches (the row filter is evaluated per chunk; before, a whole `pos` array)
///  resume  time from a fresh loader's `restore(position:)` to its first batch, at 10% and
///          90% of an epoch (and the batch is checked equal to the uninterrupted run's), beside
///          the time the draws up to there took (what replaying the epoch would cost)
///  lookup  reader open, `context(row:window:)`, row → document and row → chunk, p50/p99
///  append  one part (64 documents, 8192 rows) appended with the `import --append` steps:
///          open the writer, continue the last chunk, write, one commit
///  verify  `StoreVerifier.verify`, which reads everything (linear by design)
/// No BLAS call is made in any phase; the kernel set is printed because every benchmark does.
struct ScaleBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scale", abstract: "Growth of loader, lookup and append costs with store size.")

    @Option(help: "Phase: build, filter, resume, lookup, append or verify.") var phase: String
    @Option(help: "Rows in the store.") var rows = 1_000_000
    @Option(help: "Activation width.") var width = 16
    @Option(help: "Store directory (built by --phase build if missing).") var store: String
    @Option(help: "Batches drawn by the filter phase.") var batches = 300
    @Option(help: "Rows per batch.") var batchRows = 4096
    @Option(help: "Shuffle buffer rows.") var bufferRows = 65536
    @Option(help: "Minimum position of the filter and resume phases.") var minPosition = 1
    @Option(help: "Random rows timed by the lookup phase.") var lookups = 5000
    @Option(help: "Appends timed by the append phase.") var appends = 5

    static let tokensPerDocument = 128

    func run() throws {
        switch phase {
        case "build": try build()
        case "filter": try filter()
        case "resume": try resume()
        case "lookup": try lookup()
        case "append": try append()
        case "verify":
            let t0 = now()
            let report = StoreVerifier.verify(path: store)
            guard report.isSound else { throw ValidationError("verify: \(report.problems.prefix(3))") }
            emit(["seconds": now() - t0, "rows_per_second": Double(report.rowsChecked) / (now() - t0)])
        default: throw ValidationError("unknown phase \(phase)")
        }
    }

    // MARK: phases

    private func build() throws {
        guard !FileManager.default.fileExists(atPath: store + "/index/data.mdb") else {
            return emit(["seconds": 0, "note": "kept from an earlier run"])
        }
        let t0 = now()
        let columns = TokenColumn.all + [ColumnSpec(name: "act", width: width, codec: .f16)]
        let writer = try StoreWriter.create(at: store, manifest: StoreManifest(columns: columns, hasDocuments: true, model: "synthetic",
                                                                              contextSize: Self.tokensPerDocument, prependBOS: true))
        var rng = SplitMix(state: 42)
        let templates = (0..<256).map { _ in document(&rng, index: 0) }
        let pool = (0..<(1 << 20)).map { _ in Float(rng.below(20001) - 10000) / 5000 }
        var written = 0, doc = 0
        while written < rows {
            var next = templates[doc % templates.count]
            let count = min(rows - written, Self.tokensPerDocument)
            if count < Self.tokensPerDocument { next = trimmed(next, to: count) }
            let offset = rng.below(pool.count - count * width)
            next.activations = ["act": Array(pool[offset..<offset + count * width])]
            next.sourceIndex = doc
            try writer.append(next)
            written += count
            doc += 1
            // 512 documents = 65536 rows = 8 whole chunks per commit: no short chunks.
            if doc % 512 == 0 { try writer.commit() }
        }
        try writer.commit()
        let info = try openStore(at: store).info()
        emit(["seconds": now() - t0, "rows_per_second": Double(rows) / (now() - t0), "documents": Double(doc),
              "segment_bytes": Double(info.segmentBytes), "index_bytes": Double(info.indexBytes),
              "index_bytes_per_row": Double(info.indexBytes) / Double(rows)])
    }

    private func loaderConfig() -> StreamLoaderConfig {
        StreamLoaderConfig(column: "act", shuffleBufferRows: bufferRows, workerCount: 1, seed: 7, minimumPosition: minPosition)
    }

    private func filter() throws {
        let t0 = now()
        let source = try StoreBatchSource(reader: try openStore(at: store), config: loaderConfig())
        var batch = [Float](repeating: 0, count: batchRows * width)
        var kept = 0
        for _ in 0..<batches { kept += try source.nextBatch(into: &batch, maxRowCount: batchRows) }
        let status = procStatus()
        emit(["seconds": now() - t0, "rows_drawn": Double(kept), "rows_per_epoch": Double(source.rowsPerEpoch),
              "peak_rss_mib": status["VmHWM", default: 0] / 1024, "rss_anon_mib": status["RssAnon", default: 0] / 1024,
              "rss_file_mib": status["RssFile", default: 0] / 1024])
    }

    private func resume() throws {
        var fields: [String: Any] = [:]
        // What a fresh start costs before its first batch: the filter's row count reads the
        // whole pos column once per run (O(store rows), by design; a resume skips it).
        let t = now()
        let fresh = try StoreBatchSource(reader: try openStore(at: store), config: loaderConfig())
        var probe = [Float](repeating: 0, count: batchRows * width)
        _ = try fresh.nextBatch(into: &probe, maxRowCount: batchRows)
        fields["fresh_start_ms"] = (now() - t) * 1000
        for fraction in [0.1, 0.9] {
            let reader = try openStore(at: store)
            let running = try StoreBatchSource(reader: reader, config: loaderConfig())
            let target = Int(fraction * Double(running.rowsPerEpoch / batchRows))
            var batch = [Float](repeating: 0, count: batchRows * width)
            let t0 = now()
            for _ in 0..<target { _ = try running.nextBatch(into: &batch, maxRowCount: batchRows) }
            let drawSeconds = now() - t0
            let position = try running.position()
            let expectedRows = try running.nextBatch(into: &batch, maxRowCount: batchRows)
            let expected = Array(batch.prefix(expectedRows * width))

            // As `train --resume` does: the rows per epoch come from run.json, not a recount.
            let t1 = now()
            let resumed = try StoreBatchSource(reader: try openStore(at: store), config: loaderConfig(),
                                               rowsPerEpoch: running.rowsPerEpoch)
            try resumed.restore(position: position)
            var first = [Float](repeating: 0, count: batchRows * width)
            let n = try resumed.nextBatch(into: &first, maxRowCount: batchRows)
            let resumeSeconds = now() - t1
            guard Array(first.prefix(n * width)).map(\.bitPattern) == expected.map(\.bitPattern) else {
                throw ValidationError("the resumed loader's first batch differs from the uninterrupted run's at \(fraction) of the epoch")
            }
            let key = "at_\(Int(fraction * 100))pct"
            fields[key + "_resume_ms"] = resumeSeconds * 1000
            fields[key + "_draws_seconds"] = drawSeconds
            fields[key + "_batches"] = Double(target)
        }
        emit(fields)
    }

    private func lookup() throws {
        var t0 = now()
        let reader = try openStore(at: store)
        let openMs = (now() - t0) * 1000
        t0 = now()
        let info = try reader.info()
        let infoMs = (now() - t0) * 1000
        let rowCount = reader.rowCount
        var rng = SplitMix(state: 3)
        let picked = (0..<lookups).map { _ in rng.below(rowCount) }
        let decoder = reader.makeDecoder()
        var fields: [String: Any] = ["open_ms": openMs, "info_ms": infoMs, "index_bytes_per_row": Double(info.indexBytes) / Double(rowCount)]
        for pass in ["first", "warm"] {
            var context: [Double] = [], document: [Double] = [], chunk: [Double] = []
            for row in picked {
                var t = now()
                _ = try reader.context(row: row, window: 12, decoder: decoder)
                context.append((now() - t) * 1000)
                t = now()
                _ = try reader.documentID(containing: row)
                document.append((now() - t) * 1000)
                t = now()
                _ = try reader.chunk(containing: row)
                chunk.append((now() - t) * 1000)
            }
            for (name, times) in [("context", context), ("row_to_document", document), ("row_to_chunk", chunk)] {
                let sorted = times.sorted()
                fields["\(pass)_\(name)_p50_ms"] = sorted[sorted.count / 2]
                fields["\(pass)_\(name)_p99_ms"] = sorted[min(sorted.count - 1, sorted.count * 99 / 100)]
            }
        }
        emit(fields)
    }

    /// The `import --append` steps on this store (a store of documents, so the SAELens path
    /// minus its Arrow decoding): open the writer (cuts uncommitted bytes), check the part is
    /// new, continue the last chunk, append, one commit with the part's record.
    private func append() throws {
        var rng = SplitMix(state: UInt64(rows))
        var times: [Double] = []
        for k in 0..<appends {
            let docs = (0..<64).map { i -> DocumentRows in
                var doc = document(&rng, index: i)
                doc.activations = ["act": (0..<(Self.tokensPerDocument * width)).map { _ in Float(rng.below(20001) - 10000) / 5000 }]
                return doc
            }
            let t0 = now()
            let writer = try StoreWriter.open(at: store)
            let firstRow = writer.committedRowCount
            try writer.reopenTailChunk()
            for doc in docs { try writer.append(doc) }
            let record = AppendRecord(files: ["bench-part-\(k)"], firstRow: firstRow, rowCount: 64 * Self.tokensPerDocument, documentCount: 64)
            // A fixed-name fingerprint stand-in: the part's bytes are generated, not a file.
            try writer.commit(cursor: ["part:bench-\(rows)-\(k)-\(UUID().uuidString)": Array(try JSONEncoder().encode(record))])
            times.append((now() - t0) * 1000)
        }
        let sorted = times.sorted()
        emit(["append_8192_rows_p50_ms": sorted[sorted.count / 2], "append_8192_rows_max_ms": sorted.last!, "appends": Double(appends)])
    }

    // MARK: helpers

    /// A document of 128 random word tokens; position 0 is a BOS row with an empty span.
    private func document(_ rng: inout SplitMix, index: Int) -> DocumentRows {
        let words = ["the", "of", "and", "to", "king", "lord", "thou", "shall", "love", "death", "crown", "night", "sword", "heart", "speak"]
        var text = "", ids: [UInt32] = [50256], starts: [UInt32] = [0], ends: [UInt32] = [0]
        for t in 1..<Self.tokensPerDocument {
            let word = (t == 1 ? "" : " ") + words[rng.below(words.count)]
            starts.append(UInt32(text.utf8.count))
            text += word
            ends.append(UInt32(text.utf8.count))
            ids.append(UInt32(rng.below(50256)))
        }
        return DocumentRows(text: text, source: "synthetic", sourceIndex: index, tokenIDs: ids,
                            positions: (0..<Self.tokensPerDocument).map { UInt32($0) }, byteStarts: starts, byteEnds: ends, activations: [:])
    }

    private func trimmed(_ doc: DocumentRows, to count: Int) -> DocumentRows {
        DocumentRows(text: doc.text, source: doc.source, sourceIndex: doc.sourceIndex, tokenIDs: Array(doc.tokenIDs.prefix(count)),
                     positions: Array(doc.positions.prefix(count)), byteStarts: Array(doc.byteStarts.prefix(count)),
                     byteEnds: Array(doc.byteEnds.prefix(count)), activations: [:])
    }

    private func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// /proc/self/status's kB fields (VmHWM: peak resident set; RssAnon, RssFile: now).
    private func procStatus() -> [String: Double] {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return [:] }
        var fields: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            if let kB = Double(parts[1].trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") { fields[String(parts[0])] = kB }
        }
        return fields
    }

    private func emit(_ fields: [String: Any]) {
        var fields = fields
        fields["phase"] = phase
        fields["store_rows"] = Double(rows)
        fields["width"] = Double(width)
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.flatMap { Double($0) } ?? 0
        fields["load_1min"] = load
        let data = try! JSONSerialization.data(withJSONObject: withKernelSet(fields), options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
