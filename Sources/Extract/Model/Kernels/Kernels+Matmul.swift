import BLASKernels

extension Kernels {
    /// Hugging Face Conv1D: out = inp · weight + bias.
    // out: (N,OC), inp: (N,C), weight: (C,OC), bias: (OC)
    static func matmul(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                       weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                       N: Int, C: Int, OC: Int) {
        broadcastRows(out, bias, N: N, width: OC)
        // Row-stable: a token's activations do not depend on which windows share its batch.
        RowStableProducts.sgemm(out, inp, weight, m: N, n: OC, k: C, beta: 1)
    }

    // out: (N,width), row: (width)
    static func broadcastRows(_ out: UnsafeMutablePointer<Float>, _ row: UnsafePointer<Float>, N: Int, width: Int) {
        for n in 0..<N { (out + n * width).update(from: row, count: width) }
    }

    /// y += x elementwise.
    static func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { y[i] += x[i] }
    }
}
