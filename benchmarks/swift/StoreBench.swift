import ActStore
import ArgumentParser
import Extract
import Foundation
import TensorIO

/// Store write/read throughput and bytes per value for every codec, on real activations of
/// a model (its forward run over a corpus in 128-token windows), against plain zstd without
/// the byte shuffle and against a raw .npy file. One JSON line per configuration.
struct StoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "store", abstract: "Store codecs: bytes/value, write and read MB/s.")

    @Option(help: "Model directory (config.json, model.safetensors, vocab.json, merges.txt).")
    var model: String

    @Option(help: "Plain-text corpus.")
    var corpus: String

    @Option(help: "Hook whose activations are stored.")
    var hook = "blocks.2.hook_resid_pre"

    @Option(help: "Tokens of activations to use.")
    var tokens = 200_000

    @Option(help: "Scratch directory (removed afterwards).")
    var scratch = NSTemporaryDirectory() + "saestore-store-bench"

    @Option(help: "Read passes over each store (the best is reported).")
    var passes = 3

    func run() throws {
        let activations = try realActivations()
        let width = activations.width
        let rows = activations.values.count / width
        let rawBytes = Double(activations.values.count * 4)
        try? FileManager.default.removeItem(atPath: scratch)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        // Raw .npy: the floor every cache of raw f32 pays.
        let npyPath = scratch + "/raw.npy"
        var t0 = Date()
        let npy = try NPYWriter(path: npyPath, rowCount: rows, width: width, dtype: .f32)
        try npy.append(rows: activations.values)
        try npy.finish()
        let npyWrite = Date().timeIntervalSince(t0)
        var best = Double.infinity
        var out: [Float] = []
        for _ in 0..<passes {
            t0 = Date()
            try NPYFile(path: npyPath).readRows(0..<rows, into: &out)
            best = min(best, Date().timeIntervalSince(t0))
        }
        emit(["config": "raw .npy f32", "bytes_per_value": Double(fileSize(npyPath)) / Double(rows * width),
              "write_MBps": rawBytes / npyWrite / 1e6, "read_MBps": rawBytes / best / 1e6, "rows": Double(rows), "width": Double(width)])

        for codec in [ColumnCodec.f32, .f16, .bf16, .int8] {
            for shuffle in [false, true] {
                let path = scratch + "/\(codec.rawValue)-\(shuffle).store"
                let spec = ColumnSpec(name: hook, width: width, codec: codec, compressionLevel: 3, byteShuffle: shuffle)
                t0 = Date()
                let writer = try StoreWriter.create(at: path, manifest: StoreManifest(columns: [spec], chunkRows: 8192, hasDocuments: false))
                try writer.appendRows([hook: activations.values], rowCount: rows)
                try writer.commit()
                let writeSeconds = Date().timeIntervalSince(t0)
                let reader = try openStore(at: path)
                let info = try reader.info()
                let decoder = reader.makeDecoder()
                var chunk: [Float] = []
                var readBest = Double.infinity
                for _ in 0..<passes {
                    t0 = Date()
                    for c in 0..<reader.chunkCount { try reader.readChunk(column: hook, chunk: c, into: &chunk, decoder: decoder) }
                    readBest = min(readBest, Date().timeIntervalSince(t0))
                }
                // Fidelity: ||x - x̂|| / ||x|| over all values, and per coordinate the largest
                // |x - x̂| and the RMS of x - x̂ (beside the RMS of x itself, for scale).
                var decoded: [Float] = []
                try reader.readRows(column: hook, rows: 0..<rows, into: &decoded)
                var errorSquares = 0.0, normSquares = 0.0, maxError = 0.0
                for i in 0..<decoded.count {
                    let d = Double(decoded[i]) - Double(activations.values[i])
                    errorSquares += d * d
                    maxError = max(maxError, abs(d))
                    normSquares += Double(activations.values[i]) * Double(activations.values[i])
                }
                let valueCount = Double(decoded.count)
                emit(["config": "\(codec.rawValue) zstd3" + (shuffle ? " + byte shuffle" : " (plain zstd)"),
                      "bytes_per_value": info.columns[0].bytesPerValue, "write_MBps": rawBytes / writeSeconds / 1e6,
                      "read_MBps": rawBytes / readBest / 1e6, "relative_error": (errorSquares / normSquares).squareRoot(),
                      "max_abs_error": maxError, "rms_error": (errorSquares / valueCount).squareRoot(),
                      "value_rms": (normSquares / valueCount).squareRoot(), "rows": Double(rows), "width": Double(width)])
            }
        }
    }

    private func emit(_ fields: [String: Any]) {
        let data = try! JSONSerialization.data(withJSONObject: withKernelSet(fields), options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    private func fileSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    /// The hook's activations over the corpus, tokenized and cut into 128-token windows
    /// with a BOS, as `saestore ingest` does by default.
    private func realActivations() throws -> (values: [Float], width: Int) {
        let gpt2 = try GPT2Model(directory: model)
        let tokenizer = try GPT2Tokenizer(vocabPath: model + "/vocab.json", mergesPath: model + "/merges.txt")
        let hookPoint = try HookPoint(parsing: hook, config: gpt2.config)
        let text = try String(contentsOfFile: corpus, encoding: .utf8)
        let ids = tokenizer.encode(text)
        let T = 128, B = 16
        var values: [Float] = []
        var start = 0
        while values.count / hookPoint.width(gpt2.config) < tokens && start + B * (T - 1) <= ids.count {
            var batch: [UInt32] = []
            for b in 0..<B { batch += [GPT2Tokenizer.endOfTextID] + ids[start + b * (T - 1)..<start + (b + 1) * (T - 1)] }
            values += try gpt2.activations(tokens: batch, batch: B, sequenceLength: T, hooks: [hookPoint])[hookPoint]!
            start += B * (T - 1)
        }
        let width = hookPoint.width(gpt2.config)
        return (Array(values.prefix(tokens * width)), width)
    }
}
