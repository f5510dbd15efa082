import ArgumentParser
import Dispatch
import Extract
import Foundation
import BLASKernels

/// Tokens/s of GPT2Model.activations up to a hook after `layers` blocks, random gpt2-small weights.
struct ForwardBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward", abstract: "GPT-2 forward throughput (tokens/s) on random gpt2-small weights.")

    @Option(parsing: .upToNextOption, help: "Stop after this many blocks (one measurement each).")
    var layers: [Int] = [6, 12]
    @Option var batch = 8
    @Option var context = 128
    @Option var iterations = 5
    @Option(help: "OpenBLAS threads.") var threads = 2

    func run() throws {
        let workload = ForwardWorkload(batch: batch, context: context)
        let config = workload.config
        let model = try GPT2Model(config: config, weights: .random(config: config, seed: 1))
        BLAS.threadCount = threads
        var rng = SystemRandomNumberGenerator()
        let tokens = (0..<(batch * context)).map { _ in UInt32.random(in: 0..<UInt32(config.vocabularySize), using: &rng) }
        for layerCount in layers {
            let hook = HookPoint(layer: layerCount - 1, site: .residPost)
            var times: [Double] = []
            for i in 0...iterations {
                let start = DispatchTime.now().uptimeNanoseconds
                let result = try model.activations(tokens: tokens, batch: batch, sequenceLength: context, hooks: [hook])
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                precondition(result[hook]?.count == batch * context * config.embeddingWidth)
                if i > 0 { times.append(seconds) }  // the first call allocates scratch
            }
            let median = times.sorted()[times.count / 2]
            let flops = workload.sgemmFlopsPerLayer() * Double(layerCount)
            let line: [String: Any] = [
                "impl": "swift", "layers": layerCount, "batch": batch, "context": context, "threads": threads,
                "seconds_median": median, "seconds_all": times,
                "tokens_per_second": Double(batch * context) / median,
                "sgemm_gflops_per_second": flops / median / 1e9,
                "openblas_core": OpenBLAS.coreName,
            ]
            let data = try JSONSerialization.data(withJSONObject: withKernelSet(line), options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
