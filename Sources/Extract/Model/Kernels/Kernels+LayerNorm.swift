extension Kernels {
    /// Per-row LayerNorm, biased variance as in PyTorch.
    // out: (N,C), inp: (N,C), weight: (C), bias: (C)
    static func layerNorm(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                          weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                          N: Int, C: Int, epsilon: Float) {
        for n in 0..<N {
            let x = inp + n * C
            let y = out + n * C
            let mean = sum(x, count: C) / Float(C)
            // Two passes (mean, then squared deviations) avoid E[x²]−E[x]²'s cancellation.
            let variance = sumOfSquaredDeviations(x, count: C, from: mean) / Float(C)
            let rstd = 1 / (variance + epsilon).squareRoot()
            for c in 0..<C {
                y[c] = (x[c] - mean) * rstd * weight[c] + bias[c]
            }
        }
    }

    /// Float sum with 16 independent lanes, so the loop vectorises and rounding error
    /// grows with count/16 rather than count.
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            acc += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            i += 16
        }
        var total = acc.sum()
        while i < count { total += x[i]; i += 1 }
        return total
    }

    static func sumOfSquaredDeviations(_ x: UnsafePointer<Float>, count: Int, from mean: Float) -> Float {
        var acc = SIMD16<Float>()
        let m = SIMD16<Float>(repeating: mean)
        var i = 0
        while i + 16 <= count {
            let d = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self) - m
            acc += d * d
            i += 16
        }
        var total = acc.sum()
        while i < count { let d = x[i] - mean; total += d * d; i += 1 }
        return total
    }
}
