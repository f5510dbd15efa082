import ArgumentParser
import CBLAS
import Dispatch
import Extract
import Foundation
import BLASKernels

/// This machine's OpenBLAS sgemm rate at the shapes the GPT-2 forward issues, so the forward's
/// throughput can be put as a fraction of what sgemm alone reaches.
struct SgemmBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sgemm", abstract: "sgemm GFLOP/s at the GPT-2 forward's shapes.")

    @Option var batch = 8
    @Option var context = 128
    @Option(help: "OpenBLAS threads.") var threads = 2
    @Option(help: "Seconds to spend per shape.") var seconds = 0.5

    func run() throws {
        BLAS.threadCount = threads
        let workload = ForwardWorkload(batch: batch, context: context)
        var totalFlops = 0.0, totalSeconds = 0.0
        for shape in workload.sgemmShapes() {
            let (m, n, k) = (shape.m, shape.n, shape.k)
            var a = [Float](repeating: 0, count: m * k), b = [Float](repeating: 0, count: k * n)
            for i in a.indices { a[i] = Float(i % 7) * 0.01 }
            for i in b.indices { b[i] = Float(i % 5) * 0.01 }
            var c = [Float](repeating: 0, count: m * n)
            func once() {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                            1, a, Int32(k), b, Int32(n), 0, &c, Int32(n))
            }
            once()
            var calls = 0
            let start = DispatchTime.now().uptimeNanoseconds
            var elapsed = 0.0
            while elapsed < seconds {
                once()
                calls += 1
                elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }
            let rate = 2 * Double(m) * Double(n) * Double(k) * Double(calls) / elapsed
            // Weight each shape by how many flops the forward spends on it.
            let flops = 2 * Double(m) * Double(n) * Double(k) * Double(shape.calls)
            totalFlops += flops
            totalSeconds += flops / rate
            try emit(["shape": shape.name, "m": m, "n": n, "k": k, "gflops_per_second": rate / 1e9])
        }
        try emit(["shape": "forward_mix", "threads": threads, "gflops_per_second": totalFlops / totalSeconds / 1e9,
                  "openblas_core": OpenBLAS.coreName])
    }

    func emit(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: withKernelSet(object), options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
