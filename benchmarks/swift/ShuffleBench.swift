import ActStore
import ArgumentParser
import Foundation
import StreamTrain

/// How well the store loader mixes documents (`ShuffleQuality.measure`): distinct documents
/// per batch and the largest share of a batch from one document, against uniform sampling,
/// for several shuffle-buffer sizes and for a contiguous (unshuffled) read. The store's
/// documents are long and stored contiguously, the hard case for a streaming shuffle: by
/// default a synthetic store of `docs` documents of `docTokens` rows each (positions in
/// 128-token windows with a BOS, as `saestore ingest` lays them out), or `--store`. Every
/// measurement covers one whole epoch. One JSON line per setting.
struct ShuffleBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shuffle", abstract: "Shuffle quality of the store loader vs uniform sampling.")

    @Option(help: "Measure this store instead of a synthetic one.") var store: String?
    @Option(help: "Column to read.") var column = "acts"
    @Option(help: "Synthetic store: documents.") var docs = 200
    @Option(help: "Synthetic store: rows per document.") var docTokens = 2000
    @Option(help: "Synthetic store: rows per chunk (saestore ingest's default).") var chunkRows = 8192
    @Option(parsing: .upToNextOption, help: "Shuffle buffer sizes in rows.") var bufferRows: [Int] = [2048, 8192, 32768, 65536, 131072]
    @Option var batch = 512
    @Option var seed: UInt64 = 0
    @Option(help: "Scratch directory for the synthetic store (removed afterwards).")
    var scratch = NSTemporaryDirectory() + "saestore-shuffle-bench"

    func run() throws {
        var path = store
        if path == nil {
            try? FileManager.default.removeItem(atPath: scratch)
            try makeSyntheticStore(at: scratch)
            path = scratch
        }
        defer { if store == nil { try? FileManager.default.removeItem(atPath: scratch) } }
        let reader = try openStore(at: path!)
        let settings: [Int?] = [nil] + bufferRows.map { Optional($0) }
        for buffer in settings {
            var config = StreamLoaderConfig(column: column, shuffleBufferRows: buffer ?? 1, seed: seed, shuffle: buffer != nil)
            config.workerCount = 1
            let epochRows = try StoreBatchSource(reader: reader, config: config).rowsPerEpoch
            let batches = (epochRows + batch - 1) / batch
            let quality = try ShuffleQuality.measure(reader: reader, config: config, batchRows: batch, batches: batches)
            let line: [String: Any] = [
                "read": buffer == nil ? "contiguous" : "shuffled", "buffer_rows": buffer ?? 0,
                "store_rows": reader.rowCount, "documents": reader.documentCount, "chunk_rows": reader.manifest.chunkRows,
                "batch": batch, "batches": quality.batches,
                "distinct_documents": quality.meanDistinctDocuments,
                "largest_document_share": quality.meanLargestDocumentShare,
                "uniform_distinct_documents": quality.uniformMeanDistinctDocuments,
                "uniform_largest_document_share": quality.uniformMeanLargestDocumentShare,
            ]
            let data = try JSONSerialization.data(withJSONObject: withKernelSet(line), options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            fflush(stdout)
        }
    }

    private func makeSyntheticStore(at path: String) throws {
        let width = 8
        let columns = TokenColumn.all + [ColumnSpec(name: column, width: width, codec: .f16)]
        let writer = try StoreWriter.create(at: path, manifest: StoreManifest(columns: columns, chunkRows: chunkRows, hasDocuments: true))
        let text = String(repeating: "x", count: docTokens)
        for doc in 0..<docs {
            var values = [Float](repeating: 0, count: docTokens * width)
            for t in 0..<docTokens { values[t * width] = Float(doc); values[t * width + 1] = Float(t % 128) }
            _ = try writer.append(DocumentRows(
                text: text, source: "synthetic", sourceIndex: doc, tokenIDs: [UInt32](repeating: 1, count: docTokens),
                positions: (0..<docTokens).map { UInt32($0 % 128) }, byteStarts: (0..<docTokens).map { UInt32($0) },
                byteEnds: (0..<docTokens).map { UInt32($0 + 1) }, activations: [column: values]))
            if doc % 50 == 49 { try writer.commit() }
        }
        try writer.commit()
    }
}
