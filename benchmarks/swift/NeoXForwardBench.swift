import ArgumentParser
import Dispatch
import Extract
import Foundation
import BLASKernels

/// Tokens/s of NeoXModel.activations to the last block of a model directory (random weights
/// written by benchmarks/forward-neox/bench_torch.py --make, so both sides run the same model).
struct NeoXForwardBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neox-forward", abstract: "GPT-NeoX (Pythia) forward throughput (tokens/s) on a model directory.")

    @Option(help: "Model directory (config.json + model.safetensors).") var model: String
    @Option var batch = 4
    @Option var context = 128
    @Option var iterations = 3
    @Option(help: "OpenBLAS threads.") var threads = 2

    func run() throws {
        let neox = try NeoXModel(directory: model)
        BLAS.threadCount = threads
        var rng = SystemRandomNumberGenerator()
        let tokens = (0..<(batch * context)).map { _ in UInt32.random(in: 0..<UInt32(neox.vocabularySize), using: &rng) }
        let hook = HookPoint(layer: neox.layerCount - 1, site: .residPost)
        var times: [Double] = []
        for i in 0...iterations {
            let start = DispatchTime.now().uptimeNanoseconds
            let result = try neox.activations(tokens: tokens, batch: batch, sequenceLength: context, hooks: [hook])
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            precondition(result[hook]?.count == batch * context * neox.config.hiddenWidth)
            if i > 0 { times.append(seconds) }  // the first call pages the weights in
        }
        let line: [String: Any] = [
            "impl": "swift", "layers": neox.layerCount, "batch": batch, "context": context, "threads": threads,
            "seconds_median": times.sorted()[times.count / 2], "seconds_all": times,
            "tokens_per_second": Double(batch * context) / times.min()!,
        ]
        let data = try JSONSerialization.data(withJSONObject: withKernelSet(line), options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
