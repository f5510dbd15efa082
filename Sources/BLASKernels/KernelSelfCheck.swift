import TensorIO

/// Runs OpenBLAS's sgemm, sgemv, saxpy and sdot at the shapes saestore issues and compares every
/// output with a plain double-precision loop. Meant for a child process: a kernel set that
/// crashes on this CPU takes only the child down.
public enum KernelSelfCheck {
    /// One call's comparison.
    public struct Result: Codable, Equatable, Sendable {
        /// e.g. "sgemm NN 67x2304x768 (forward qkv)".
        public var name: String
        /// Largest |kernel − reference| / bound over the outputs; ≤ 1 passes.
        public var worstErrorOverBound: Double
        /// Whether every output was finite and within its bound.
        public var passed: Bool
    }

    /// Every call's comparison, with the kernel set OpenBLAS actually ran.
    public struct Report: Codable, Equatable, Sendable {
        /// `openblas_get_corename` in the process that ran the checks.
        public var coreName: String
        /// One per call.
        public var results: [Result]
        /// All passed.
        public var passed: Bool { results.allSatisfy(\.passed) }
    }

    /// Runs every check. `corrupt`, for tests only, perturbs one output before comparison.
    public static func run(corrupt: Bool = false) -> Report {
        var results: [Result] = []
        // (M, N, K, transposeA, transposeB, what issues it): the forward's projections with an odd
        // row count (edge kernels), attention's strided q·kᵀ, the SAE encoder and its backward's Aᵀ·B.
        let gemms: [(Int, Int, Int, Bool, Bool, String)] = [
            (19, 2304, 768, false, false, "forward qkv"),
            (19, 768, 3072, false, false, "forward mlp c_proj"),
            (45, 45, 64, false, true, "attention q·kᵀ"),
            (93, 1536, 192, false, true, "SAE encoder"),
            (192, 300, 93, true, false, "SAE weight gradient"),
        ]
        for (index, (m, n, k, ta, tb, what)) in gemms.enumerated() {
            results.append(checkGemm(m: m, n: n, k: k, transposeA: ta, transposeB: tb, seed: UInt64(index + 1),
                                     name: "sgemm \(ta ? "T" : "N")\(tb ? "T" : "N") \(m)x\(n)x\(k) (\(what))", corrupt: corrupt && index == 0))
        }
        results.append(checkGemv(m: 1536, n: 768, transpose: false, seed: 11))
        results.append(checkGemv(m: 1536, n: 768, transpose: true, seed: 12))
        results.append(checkAxpy(count: 100_003, seed: 13))
        results.append(checkDot(count: 100_003, seed: 14))
        results.append(checkDot(count: 768, seed: 15))
        return Report(coreName: OpenBLAS.coreName, results: results)
    }

    /// A summation in any order of K products stays within γ_K·Σ|products| of the exact sum
    /// (Higham, Accuracy and Stability, §3.1), with γ_K ≈ K·u, u = 2⁻²⁴; twice that leaves room
    /// for the rounding of alpha and beta. A correct kernel is always inside; wrong code is not.
    static func bound(terms: Int, magnitude: Double) -> Double {
        2 * Double(terms + 2) * 0x1p-24 * magnitude + Double(Float.leastNormalMagnitude)
    }

    static func checkGemm(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, seed: UInt64, name: String, corrupt: Bool) -> Result {
        var random = SplitMix64(seed: seed)
        let a = random.floats(m * k), b = random.floats(k * n), c0 = random.floats(m * n)
        let alpha: Float = 0.75, beta: Float = 0.5
        var c = c0
        let lda = transposeA ? m : k, ldb = transposeB ? k : n
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    BLAS.sgemm(c.baseAddress!, ldc: n, a.baseAddress!, lda: lda, transposeA: transposeA,
                                   b.baseAddress!, ldb: ldb, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, beta: beta)
                }
            }
        }
        if corrupt { c[c.count / 2] += 1 }
        var worst = 0.0
        var finite = true
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0, magnitude = 0.0
                for p in 0..<k {
                    let x = Double(transposeA ? a[p * lda + i] : a[i * lda + p])
                    let y = Double(transposeB ? b[j * ldb + p] : b[p * ldb + j])
                    sum += x * y
                    magnitude += abs(x * y)
                }
                let expected = Double(alpha) * sum + Double(beta) * Double(c0[i * n + j])
                let got = Double(c[i * n + j])
                finite = finite && got.isFinite
                worst = max(worst, abs(got - expected) / bound(terms: k, magnitude: abs(Double(alpha)) * magnitude + abs(Double(beta * c0[i * n + j]))))
            }
        }
        return Result(name: name, worstErrorOverBound: worst, passed: finite && worst <= 1)
    }

    static func checkGemv(m: Int, n: Int, transpose: Bool, seed: UInt64) -> Result {
        var random = SplitMix64(seed: seed)
        let a = random.floats(m * n)
        let outCount = transpose ? n : m, inCount = transpose ? m : n
        let x = random.floats(inCount), y0 = random.floats(outCount)
        var y = y0
        a.withUnsafeBufferPointer { a in
            x.withUnsafeBufferPointer { x in
                y.withUnsafeMutableBufferPointer { y in
                    BLAS.sgemv(y.baseAddress!, a.baseAddress!, m: m, n: n, transpose: transpose, x.baseAddress!, alpha: 1.25, beta: 0.5)
                }
            }
        }
        var worst = 0.0
        var finite = true
        for o in 0..<outCount {
            var sum = 0.0, magnitude = 0.0
            for i in 0..<inCount {
                let product = Double(transpose ? a[i * n + o] : a[o * n + i]) * Double(x[i])
                sum += product
                magnitude += abs(product)
            }
            let expected = 1.25 * sum + 0.5 * Double(y0[o])
            finite = finite && y[o].isFinite
            worst = max(worst, abs(Double(y[o]) - expected) / bound(terms: inCount, magnitude: 1.25 * magnitude + abs(0.5 * Double(y0[o]))))
        }
        return Result(name: "sgemv \(transpose ? "T" : "N") \(m)x\(n)", worstErrorOverBound: worst, passed: finite && worst <= 1)
    }

    static func checkAxpy(count: Int, seed: UInt64) -> Result {
        var random = SplitMix64(seed: seed)
        let x = random.floats(count), y0 = random.floats(count)
        var y = y0
        x.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { y in BLAS.saxpy(y.baseAddress!, x.baseAddress!, count: count, alpha: -0.375) }
        }
        var worst = 0.0
        var finite = true
        for i in 0..<count {
            let expected = Double(y0[i]) - 0.375 * Double(x[i])
            finite = finite && y[i].isFinite
            worst = max(worst, abs(Double(y[i]) - expected) / bound(terms: 1, magnitude: abs(Double(y0[i])) + abs(0.375 * Double(x[i]))))
        }
        return Result(name: "saxpy \(count)", worstErrorOverBound: worst, passed: finite && worst <= 1)
    }

    static func checkDot(count: Int, seed: UInt64) -> Result {
        var random = SplitMix64(seed: seed)
        let x = random.floats(count), y = random.floats(count)
        let got = x.withUnsafeBufferPointer { x in y.withUnsafeBufferPointer { y in BLAS.sdot(x.baseAddress!, y.baseAddress!, count: count) } }
        var sum = 0.0, magnitude = 0.0
        for i in 0..<count {
            sum += Double(x[i]) * Double(y[i])
            magnitude += abs(Double(x[i]) * Double(y[i]))
        }
        let worst = abs(Double(got) - sum) / bound(terms: count, magnitude: magnitude)
        return Result(name: "sdot \(count)", worstErrorOverBound: worst, passed: got.isFinite && worst <= 1)
    }
}

/// SplitMix64: the same inputs in every process, so a failing check repeats.
extension SplitMix64 {
    /// Uniform in [-1, 1).
    mutating func floats(_ count: Int) -> [Float] { (0..<count).map { _ in Float(next() >> 40) / Float(1 << 23) - 1 } }
}
