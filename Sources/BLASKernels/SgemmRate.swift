import Foundation
import TensorIO

/// sgemm throughput as this process's OpenBLAS runs it, for `doctor`.
public enum SgemmRate {
    /// One measurement.
    public struct Measurement: Codable, Equatable, Sendable {
        /// Rows, columns and inner dimension of the product.
        public var m: Int, n: Int, k: Int
        /// Calls timed.
        public var calls: Int
        /// 2·M·N·K over the fastest call's seconds, in units of 10⁹ flop/s.
        public var bestGigaflopsPerSecond: Double
    }

    /// Times (M,K)·(K,N) products for about `seconds` and keeps the fastest call. The default
    /// shape is the GPT-2 small MLP's first product on 4 windows of 128 tokens.
    public static func measure(m: Int = 512, n: Int = 3072, k: Int = 768, seconds: Double = 0.5) -> Measurement {
        var random = SplitMix64(seed: 7)
        let a = random.floats(m * k), b = random.floats(k * n)
        var c = [Float](repeating: 0, count: m * n)
        func once() -> Double {
            let start = ContinuousClock.now
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        BLAS.sgemm(c.baseAddress!, ldc: n, a.baseAddress!, lda: k, transposeA: false,
                                       b.baseAddress!, ldb: n, transposeB: false, m: m, n: n, k: k, alpha: 1, beta: 0)
                    }
                }
            }
            let (s, atto) = (ContinuousClock.now - start).components
            return Double(s) + Double(atto) * 1e-18
        }
        _ = once()  // warm-up: thread start, page faults
        var best = Double.infinity, total = 0.0, calls = 0
        while total < seconds || calls < 3 {
            let t = once()
            best = min(best, t)
            total += t
            calls += 1
        }
        return Measurement(m: m, n: n, k: k, calls: calls, bestGigaflopsPerSecond: 2 * Double(m) * Double(n) * Double(k) / best / 1e9)
    }
}
