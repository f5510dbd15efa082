import TensorIO
import ActStore
import ArgumentParser
import FeatureAnalysis
import SAELoading
import Foundation
import StreamTrain
#if canImport(Glibc)
import Glibc
#endif

/// Single-row lookup latency on a store of documents (default 1M rows): builds the store
/// with StoreWriter (random word "tokens" with real byte spans, a width-64 f16 activation
/// column), an SAE on it (SAELens directory, biases set so each latent fires on ~3% of rows)
/// and `saestore features` results (FeatureScanJob: top 20, 10 quantiles × 5 samples, windows
/// of ±12 stored), all kept for reruns. Then times, cold (first touch: the files' pages
/// dropped from the page cache with posix_fadvise(DONTNEED) and a fresh reader/inspector)
/// and warm (the same requests again):
///  (a) `StoreReading.context(row:window:)`, what `saestore lookup` does;
///  (b) a feature's examples, `FeatureInspector.detail(feature:)`, what `saestore feature`
///      calls: from the stored windows, and resolved from the store (the path results
///      without stored windows take: chunk decode + encoder on the window rows).
/// JSON lines out.
struct LookupBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lookup", abstract: "Row → text and feature-example latency (p50/p99) on a large store.")

    @Option(help: "Rows in the store.") var rows = 1_000_000
    @Option(help: "Activation width.") var width = 64
    @Option(help: "SAE latents.") var latents = 512
    @Option(help: "Timed lookups (each of the cold and warm passes).") var lookups = 5000
    @Option(help: "Timed features (each pass; at most --latents).") var features = 300
    @Option(help: "Features timed on the resolve-from-store path (slower).") var resolvedFeatures = 60
    @Option(help: "Warm passes over the features (more samples for the p99; the first, cold, pass is one).") var warmPasses = 10
    @Option(help: "Tokens of context on each side.") var window = 12
    @Option(help: "Store directory (built if missing, kept for reruns; the SAE and results go beside it).")
    var store = NSTemporaryDirectory() + "saestore-lookup-bench.store"

    func run() throws {
        var rng = SplitMix(state: 42)
        if !FileManager.default.fileExists(atPath: store + "/index/data.mdb") {
            let t0 = Date()
            try build(&rng)
            emit(["stage": "build", "rows": Double(rows), "seconds": Date().timeIntervalSince(t0)])
        }
        let saePath = store + ".sae", resultsPath = store + ".features"
        if !FileManager.default.fileExists(atPath: saePath + "/cfg.json") { try makeSAE(saePath) }
        if !FileManager.default.fileExists(atPath: resultsPath + "/" + FeatureResultsManifest.fileName) {
            let results = try FeatureScanJob.run(reader: try openStore(at: store), sae: try SAESource(path: saePath),
                                                 config: FeatureScanConfig(column: "act", topK: 20, quantileCount: 10, samplesPerQuantile: 5),
                                                 modelDirectory: nil, out: URL(fileURLWithPath: resultsPath), exampleWindow: window)
            let m = results.manifest
            emit(["stage": "features scan", "rows": Double(m.rowsScanned), "scan_seconds": m.scanSeconds, "rows_per_second": m.rowsPerSecond,
                  "example_windows_seconds": m.examples?.seconds ?? 0, "examples": Double(m.examples?.exampleCount ?? 0),
                  "examples_file_bytes": Double(m.examples?.byteCount ?? 0)])
        }

        // (a) lookup, cold then warm over the same rows.
        evict(directory: store)
        let reader = try openStore(at: store)
        let rowCount = reader.rowCount
        let decoder = reader.makeDecoder()
        let picked = (0..<lookups).map { _ in rng.below(rowCount) }
        for pass in ["cold", "warm"] {
            var times: [Double] = [], cpu: [Double] = []
            for row in picked {
                let found = try timed(&times, &cpu) { try reader.context(row: row, window: window, decoder: decoder) }
                guard found != nil else { throw ValidationError("row \(row) has no text") }
            }
            report("lookup context(row:window:\(window)) \(pass)", times, cpu, rowCount: rowCount)
        }

        // (b) a feature's examples through FeatureInspector, as `saestore feature` shows them.
        let ids = Array((0..<latents).shuffled(using: &rng).prefix(features))
        for stored in [true, false] {
            let what = stored ? "stored windows" : "resolved from the store"
            evict(directory: resultsPath)
            evict(directory: store)
            let t0 = DispatchTime.now().uptimeNanoseconds
            let inspector = try FeatureInspector(resultsDirectory: URL(fileURLWithPath: resultsPath), window: window, useStoredWindows: stored)
            emit(["stage": "feature inspector open (\(what))", "ms": Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6])
            precondition((inspector.storedWindows != nil) == stored, "stored windows \(inspector.storedWindows != nil)")
            let timedIDs = stored ? ids : Array(ids.prefix(resolvedFeatures))
            var examples = 0
            for pass in ["cold", "warm"] {
                var times: [Double] = [], cpu: [Double] = []
                examples = 0
                for id in Array(repeating: timedIDs, count: pass == "cold" || !stored ? 1 : warmPasses).joined() {
                    let detail = try timed(&times, &cpu) { try inspector.detail(feature: id) }
                    examples += detail.topExamples.count + detail.quantiles.reduce(0) { $0 + $1.examples.count }
                }
                report("feature examples (\(what), ±\(window) tokens, \(examples / times.count) examples per feature) \(pass)", times, cpu, rowCount: rowCount)
            }
        }
    }

    /// An SAELens SAE on the "act" column whose latents each fire on about 3% of rows (b_enc
    /// is minus the 97th percentile of each latent's pre-activation over the first rows).
    private func makeSAE(_ path: String) throws {
        var rng = SplitMix(state: 7)
        let C = width, H = latents
        func normal() -> Float {
            let u = max(Double(rng.next() >> 11) / Double(1 << 53), 1e-12), v = Double(rng.next() >> 11) / Double(1 << 53)
            return Float((-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
        }
        let wEnc = (0..<(C * H)).map { _ in normal() / Float(C).squareRoot() }
        let reader = try openStore(at: store)
        let sampleRows = min(4096, reader.rowCount)
        var x: [Float] = []
        try reader.readRows(column: "act", rows: 0..<sampleRows, into: &x)
        var bEnc = [Float](repeating: 0, count: H)
        for j in 0..<H {
            var pre = (0..<sampleRows).map { b in (0..<C).reduce(Float(0)) { $0 + x[b * C + $1] * wEnc[$1 * H + j] } }
            pre.sort()
            bEnc[j] = -pre[Int(0.97 * Double(sampleRows - 1))]
        }
        var wDec = [Float](repeating: 0, count: H * C)
        for c in 0..<C { for j in 0..<H { wDec[j * C + c] = wEnc[c * H + j] } }
        let sae = try SparseAutoencoder(architecture: .standard, dIn: C, dSAE: H, k: 0, applyBDecToInput: true,
                                        weights: SAEWeights(wEnc: wEnc, bEnc: bEnc, wDec: wDec, bDec: [Float](repeating: 0, count: C)))
        try SAELensExporter.export(sae, metadata: SAELensMetadata(modelName: "synthetic", hookName: "act"), to: URL(fileURLWithPath: path))
    }

    /// Drops the clean page-cache pages of every file under `directory` (no root needed), so
    /// the next reads come from disk: the "cold" passes.
    private func evict(directory: String) {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return }
        for case let name as String in walker {
            let fd = open(directory + "/" + name, O_RDONLY)
            guard fd >= 0 else { continue }
            _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
            close(fd)
        }
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

    /// Runs `body`, appending its wall time and this thread's CPU time (ms). On a loaded
    /// machine the wall time's tail is the scheduler (the thread waits for a core); the CPU
    /// time is the work itself.
    private func timed<T>(_ wall: inout [Double], _ cpu: inout [Double], _ body: () throws -> T) rethrows -> T {
        let c0 = threadCPUNanoseconds()
        let t0 = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        let t1 = DispatchTime.now().uptimeNanoseconds
        let c1 = threadCPUNanoseconds()
        wall.append(Double(t1 - t0) / 1e6)
        cpu.append(Double(c1 - c0) / 1e6)
        return result
    }

    private func threadCPUNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    private func report(_ what: String, _ milliseconds: [Double], _ cpuMilliseconds: [Double], rowCount: Int) {
        func pct(_ sorted: [Double], _ p: Double) -> Double { sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))] }
        let sorted = milliseconds.sorted(), cpu = cpuMilliseconds.sorted()
        let total = milliseconds.reduce(0, +)
        emit(["stage": what, "store_rows": Double(rowCount), "count": Double(sorted.count), "p50_ms": pct(sorted, 0.5), "p90_ms": pct(sorted, 0.9),
              "p99_ms": pct(sorted, 0.99), "max_ms": sorted.last!, "mean_ms": total / Double(sorted.count),
              "per_second": Double(sorted.count) / (total / 1000), "cpu_p50_ms": pct(cpu, 0.5), "cpu_p99_ms": pct(cpu, 0.99),
              "load_1min": loadAverage()])
    }

    /// The 1-minute load average (/proc/loadavg; 0 where absent).
    private func loadAverage() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return 0 }
        return Double(text.split(separator: " ").first ?? "") ?? 0
    }

    private func emit(_ fields: [String: Any]) {
        let data = try! JSONSerialization.data(withJSONObject: withKernelSet(fields), options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}

/// SplitMix64: deterministic benchmark data.
typealias SplitMix = SplitMix64

extension SplitMix64 {
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
