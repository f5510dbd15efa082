import ActStore
import ArgumentParser
import FeatureAnalysis
import SAELoading
import Foundation
import StreamTrain

/// The feature scan with each fold, in one process, alternating so that load changes hit
/// both alike: `dense` visits every (row, feature) activation (the fold before the sparse
/// one existed), `sparse` only the open pairs of the encoder's CSR, `auto` picks by density.
/// Best and median rows/s of each, and the process CPU time per row (less sensitive to other
/// processes than wall time; run with OPENBLAS_NUM_THREADS=1 so no BLAS thread spin-waits
/// into it); the tables are checked equal. JSON lines out.
struct ScanFoldBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scan-fold", abstract: "Feature scan rows/s: dense vs sparse fold (A/B).")

    @Option(help: "Store directory.") var store: String
    @Option(help: "SAELens SAE directory (or run).") var sae: String
    @Option(help: "Alternating repeats of each fold.") var repeats = 5
    @Option(help: "Quantile buckets (0: pass 1 only).") var quantiles = 0
    @Option(help: "Rows to scan (default: all).") var rows: Int?

    func run() throws {
        let source = try SAESource(path: sae)
        let reader = try openStore(at: store)
        let config = FeatureScanConfig(column: try source.column(nil), topK: 20, quantileCount: quantiles, endRow: rows)
        let folds: [SAEKernelMode] = [.dense, .sparse, .auto]
        var seconds: [SAEKernelMode: [Double]] = [:], cpuSeconds: [SAEKernelMode: [Double]] = [:]
        var tables: [SAEKernelMode: FeatureTables] = [:]
        var density = 0.0
        for _ in 0..<repeats {
            for fold in folds {
                let t0 = Date(), c0 = processCPUSeconds()
                let result = try FeatureScanner.scan(reader: reader, sae: source.loaded.sae, saeName: sae, config: config, kernels: fold)
                seconds[fold, default: []].append(Date().timeIntervalSince(t0))
                cpuSeconds[fold, default: []].append(processCPUSeconds() - c0)
                tables[fold] = result
                density = Double(result.fireCounts.reduce(0, +)) / Double(result.rowsScanned * result.featureCount)
            }
        }
        precondition(tables[.sparse] == tables[.dense] && tables[.auto] == tables[.dense], "the folds disagree")
        let rowCount = Double(tables[.dense]!.rowsScanned) * (quantiles > 0 ? 2 : 1)
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)).flatMap { Double($0.split(separator: " ")[0]) } ?? 0
        let best = seconds.mapValues { $0.min()! }, bestCPU = cpuSeconds.mapValues { $0.min()! }
        for fold in folds {
            let sorted = seconds[fold]!.sorted()
            let fields: [String: Any] = ["fold": fold.rawValue, "d_in": source.loaded.sae.dIn, "d_sae": source.loaded.sae.dSAE,
                                         "rows": tables[fold]!.rowsScanned, "passes": quantiles > 0 ? 2 : 1, "density": density,
                                         "best_rows_per_s": (rowCount / sorted[0]).rounded(), "median_rows_per_s": (rowCount / sorted[sorted.count / 2]).rounded(),
                                         "speedup_over_dense_best": best[.dense]! / best[fold]!,
                                         "best_cpu_us_per_row": 1e6 * bestCPU[fold]! / rowCount, "cpu_speedup_over_dense_best": bestCPU[.dense]! / bestCPU[fold]!, "repeats": repeats, "load_1min": load]
            print(String(decoding: try JSONSerialization.data(withJSONObject: withKernelSet(fields), options: [.sortedKeys]), as: UTF8.self))
        }
    }

    /// User + system CPU time of the process so far, seconds.
    private func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
