import ActStore
import ArgumentParser
import Dispatch
import Extract
import Foundation
import StreamTrain
import TensorIO
import BLASKernels

/// SAE training throughput (tokens/s) of `SAETrainer` on the same rows from memory
/// (`ArrayBatchSource`, the .npy read into an array) and streamed from a store
/// (`StoreBatchSource`: chunk decode on worker threads, shuffle buffer), in one process,
/// alternating. Each measurement: a fresh SAE, `warmup` steps, then `steps` timed steps
/// (clock from the end of step `warmup` to the end of the last step, so every timed step
/// includes fetching its batch). One JSON line per measurement.
struct TrainBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "SAE training tokens/s from memory and from a store.")

    @Option(help: "Rows as a (rows, d_in) float32 .npy (benchmarks/train/make_data.py).") var data: String
    @Option(help: "The same rows imported into a store (saestore import); omit to time memory only.") var store: String?
    @Option(help: "Store column holding the rows.") var column = "acts"
    @Option(parsing: .upToNextOption, help: "Architectures (tied, standard, topk).") var arch: [String] = ["tied", "standard"]
    @Option var expansion = 8
    @Option var batch = 512
    @Option var warmup = 10
    @Option var steps = 40
    @Option(help: "Rounds of (memory, store) per architecture.") var rounds = 1
    @Option(help: "OpenBLAS threads.") var threads = 2
    @Option(help: "Shuffle buffer of the store loader, in rows.") var bufferRows = 16384
    @Option(help: "Decode threads of the store loader.") var workers = 1
    @Option var seed: UInt64 = 0
    @Flag(help: "Measure the store before memory (run.sh alternates the order between rounds).") var storeFirst = false
    @Flag(help: "Also report the mean ms per timed step of each phase (SAETrainer.phaseSeconds).") var phases = false

    func run() throws {
        BLAS.threadCount = threads
        let npy = try NPYFile(path: data)
        var rows: [Float] = []
        try npy.readRows(0..<npy.rowCount, into: &rows)
        let width = npy.width
        let reader = try store.map { try openStore(at: $0) }
        if let reader {
            guard reader.rowCount == npy.rowCount, try reader.spec(column).width == width else {
                throw ValidationError("\(store!) holds \(reader.rowCount) rows of \(column); \(data) has \(npy.rowCount) x \(width)")
            }
        }
        if let reader { try reportDecodeCost(reader: reader) }
        let logInterval = gcd(warmup, steps)
        for _ in 0..<rounds {
            for name in arch {
                guard let architecture = SAEArchitecture(rawValue: name) else { throw ValidationError("unknown --arch \(name)") }
                var config = SAEConfig(architecture: architecture, dIn: width)
                config.expansionFactor = expansion
                config.batchSize = batch
                config.epochs = 1_000_000
                config.seed = seed
                if architecture == .topk { config.k = 32; config.l1Coefficient = 0 }
                let options = SAETrainerOptions(logIntervalSteps: logInterval, checkpointIntervalSteps: 0,
                                                maxSteps: warmup + steps)
                var memory = try ArrayBatchSource(rows: rows, rowWidth: width, seed: seed)
                if !storeFirst { try measure(source: &memory, sourceName: "memory", config: config, options: options) }
                if let reader {
                    let loader = StreamLoaderConfig(column: column, shuffleBufferRows: bufferRows, workerCount: workers, seed: seed)
                    var streamed = try StoreBatchSource(reader: reader, config: loader)
                    try measure(source: &streamed, sourceName: "store", config: config, options: options)
                }
                if storeFirst { try measure(source: &memory, sourceName: "memory", config: config, options: options) }
            }
        }
    }

    private func measure<Source: BatchSource>(source inner: inout Source, sourceName: String, config: SAEConfig,
                                              options: SAETrainerOptions) throws {
        let trainer = try SAETrainer(config: config, options: options)
        let fetch = FetchClock()
        var source = FetchTimedSource(inner: inner, clock: fetch)
        var stepEnds: [UInt64] = []
        var fetchAtStart = 0.0, fetchAtEnd = 0.0
        var timedTokens = 0, tokensAtStart = 0
        var l0Sum = 0.0, mseSum = 0.0, fveSum = 0.0, records = 0
        try trainer.train(source: &source) { event in
            switch event {
            case let .stepFinished(step, tokens, _, _):
                if step >= warmup { stepEnds.append(DispatchTime.now().uptimeNanoseconds) }
                if step == warmup {
                    tokensAtStart = tokens
                    fetchAtStart = fetch.seconds
                    trainer.measuresPhases = phases
                }
                if step == warmup + steps {
                    timedTokens = tokens - tokensAtStart
                    fetchAtEnd = fetch.seconds
                }
            case let .metrics(m) where m.step > warmup:
                l0Sum += m.l0
                mseSum += m.mse
                fveSum += m.explainedVariance
                records += 1
            default:
                break
            }
        }
        inner = source.inner
        let stepSeconds = zip(stepEnds.dropFirst(), stepEnds).map { Double($0 - $1) / 1e9 }
        let seconds = stepSeconds.reduce(0, +)
        let sorted = stepSeconds.sorted()
        let median = sorted[sorted.count / 2], p10 = sorted[sorted.count / 10]
        var phaseMs: [String: Double] = [:]
        for (phase, seconds) in trainer.phaseSeconds where phases { phaseMs[phase.name] = seconds * 1e3 / Double(steps) }
        let line: [String: Any] = [
            "phase_ms_per_step": phaseMs, "impl": "swift", "source": sourceName, "arch": config.architecture.rawValue, "d_in": config.dIn,
            "d_sae": config.latentCount, "batch": config.batchSize, "threads": threads, "warmup_steps": warmup,
            "steps": steps, "seconds": seconds, "tokens_per_second": Double(timedTokens) / seconds,
            "step_seconds_median": median, "tokens_per_second_median_step": Double(config.batchSize) / median,
            "step_seconds_p10": p10, "tokens_per_second_p10_step": Double(config.batchSize) / p10,
            "fetch_seconds_per_step": (fetchAtEnd - fetchAtStart) / Double(steps),
            "l0": l0Sum / Double(max(records, 1)), "mse": mseSum / Double(max(records, 1)),
            "explained_variance": fveSum / Double(max(records, 1)),
            "buffer_rows": sourceName == "store" ? bufferRows : 0, "workers": sourceName == "store" ? workers : 0,
            "openblas_core": OpenBLAS.coreName,
        ]
        let data = try JSONSerialization.data(withJSONObject: withKernelSet(line), options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        fflush(stdout)
    }

    /// One thread decoding every chunk of the column (best of two passes), as CPU time per
    /// training batch: what the loader's worker takes from the trainer's cores on top of the
    /// time the trainer waits in nextBatch.
    private func reportDecodeCost(reader: any StoreReading) throws {
        let decoder = reader.makeDecoder()
        var values: [Float] = []
        var best = Double.infinity
        for _ in 0..<2 {
            let start = DispatchTime.now().uptimeNanoseconds
            for chunk in 0..<reader.chunkCount { try reader.readChunk(column: column, chunk: chunk, into: &values, decoder: decoder) }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let line: [String: Any] = [
            "impl": "swift", "source": "decode", "arch": "-", "rows": reader.rowCount, "d_in": try reader.spec(column).width,
            "decode_seconds": best, "decode_seconds_per_batch": best / Double(reader.rowCount) * Double(batch),
            "decoded_MBps": Double(reader.rowCount * (try reader.spec(column).width) * 4) / best / 1e6,
        ]
        let data = try JSONSerialization.data(withJSONObject: withKernelSet(line), options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? max(a, 1) : gcd(b, a % b) }
}

/// A source that adds up the wall-clock time the trainer spends waiting in `nextBatch`
/// (copying rows, and for the store, waiting for decoded chunks).
struct FetchTimedSource<Inner: BatchSource>: BatchSource {
    var inner: Inner
    let clock: FetchClock
    var rowWidth: Int { inner.rowWidth }

    mutating func nextBatch(into batch: inout [Float], maxRowCount: Int) throws -> Int {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { clock.seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        return try inner.nextBatch(into: &batch, maxRowCount: maxRowCount)
    }

    func position() throws -> Data { try inner.position() }
    mutating func restore(position: Data) throws { try inner.restore(position: position) }
}

/// Read from the progress callback while the trainer holds the source.
final class FetchClock {
    var seconds = 0.0
}
