import ArgumentParser
import Dispatch
import Extract
import Foundation
import BLASKernels

/// Tokens/s of Gemma2Model.activations to the last block of a model directory (random weights
/// written by benchmarks/forward-gemma2/bench_torch.py --make, so both sides run the same model).
struct Gemma2ForwardBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemma2-forward", abstract: "Gemma 2 forward throughput (tokens/s) on a model directory.")

    @Option(help: "Model directory (config.json + model.safetensors).") var model: String
    @Option var batch = 4
    @Option var context = 128
    @Option var iterations = 3
    @Option(help: "OpenBLAS threads.") var threads = 2

    func run() throws {
        let gemma = try Gemma2Model(directory: model)
        BLAS.threadCount = threads
        var rng = SystemRandomNumberGenerator()
        let tokens = (0..<(batch * context)).map { _ in UInt32.random(in: 0..<UInt32(gemma.vocabularySize), using: &rng) }
        let hook = HookPoint(layer: gemma.layerCount - 1, site: .residPost)
        var times: [Double] = []
        for i in 0...iterations {
            let start = DispatchTime.now().uptimeNanoseconds
            let result = try gemma.activations(tokens: tokens, batch: batch, sequenceLength: context, hooks: [hook])
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            precondition(result[hook]?.count == batch * context * gemma.config.hiddenWidth)
            if i > 0 { times.append(seconds) }  // the first call pages the weights in
        }
        let line: [String: Any] = [
            "impl": "swift", "layers": gemma.layerCount, "batch": batch, "context": context, "threads": threads,
            "seconds_median": times.sorted()[times.count / 2], "seconds_all": times,
            "tokens_per_second": Double(batch * context) / times.min()!,
        ]
        let data = try JSONSerialization.data(withJSONObject: withKernelSet(line), options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
