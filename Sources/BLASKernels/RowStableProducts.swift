/// Products whose rows keep their bits wherever they sit in a batch, so that an ingest stores the
/// same bytes for a token however its windows were packed (issue 13; docs/PERFORMANCE.md,
/// "Packed windows").
///
/// OpenBLAS computes a row of c = a·b by one of several code paths, chosen by the shape and by
/// where the row falls in the kernel's tiling of m, and the paths sum in different orders. What
/// `scripts/sgemm_row_bits.py` measured on Debian's OpenBLAS 0.3.21 (K 768 · N 2304 and the demo
/// model's K 512 · N 128, 1 and 2 threads):
///
/// * SkylakeX: every position of a full-size product gives the same bits, but a product with
///   m·n·k ≤ 10⁶ takes the small-matrix kernel, which sums differently (the demo model's MLP
///   down-projection differs for m < 16). Padding m so m·n·k exceeds that bound makes every row
///   position- and batch-independent.
/// * Prescott (SSE3, what OpenBLAS picks for a CPU it cannot name): full 32-row tiles agree; the
///   rows of a ragged last tile and products of m ≤ 3 differ. Padding m to a multiple of 32 makes
///   rows independent.
/// * Haswell (also what AMD Zen runs): the main kernel itself has a 12-row phase (rows 0–5 and
///   6–11 of each tile sum differently), so a row's bits depend on its position modulo 12 and no
///   padding of m fixes it; products are left as they are and rows are stable only to rounding.
///
/// Padding copies the rows concerned into a zero-padded product and their results back out; it
/// costs only when m is small (SkylakeX) or ragged (at most 31 extra rows a product under Prescott).
public enum RowStableProducts {
    /// What padding makes rows stable under a kernel set, or nil when none does (or the set was
    /// not measured).
    public enum Rule: Equatable, Sendable {
        /// Pad m until m·n·k exceeds `productBound` (SkylakeX's small-matrix kernel bound).
        case avoidSmallMatrixKernel(productBound: Int)
        /// Pad m up to a multiple of `rows` (whole tiles only).
        case wholeTiles(rows: Int)
    }

    /// The rule for the kernel set OpenBLAS runs (`OpenBLAS.coreName`), read once: OpenBLAS picks
    /// its kernels when it loads, and saestore re-executes rather than switching them later.
    public static let activeRule: Rule? = rule(forCore: OpenBLAS.coreName)

    /// The rule for a core name as OpenBLAS spells it, compared case-blind.
    public static func rule(forCore name: String) -> Rule? {
        switch name.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": return .avoidSmallMatrixKernel(productBound: 1_000_000)
        case "prescott": return .wholeTiles(rows: 32)
        default: return nil
        }
    }

    /// Rows an m-row product is computed with under `rule` (≥ m).
    public static func paddedRowCount(m: Int, n: Int, k: Int, rule: Rule?) -> Int {
        guard m > 0, n > 0, k > 0, let rule else { return m }
        switch rule {
        case .avoidSmallMatrixKernel(let bound):
            return max(m, bound / (n * k) + 1)
        case .wholeTiles(let rows):
            return (m + rows - 1) / rows * rows
        }
    }

    /// c(m,n) = a(m,k) · b(k,n) + beta · c, all packed row-major (b may be stored (n,k) and
    /// transposed), with each row of c computed as it would be in any other batch under the
    /// active kernels (`activeRule`); exactly `BLAS.sgemm` when no padding is needed or none helps.
    public static func sgemm(_ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>,
                             _ b: UnsafePointer<Float>, transposeB: Bool = false,
                             m: Int, n: Int, k: Int, beta: Float = 0) {
        sgemm(c, a, b, transposeB: transposeB, m: m, n: n, k: k, beta: beta, rule: activeRule)
    }

    /// The same under a given rule (tests hold each rule to its claim on the kernels running).
    public static func sgemm(_ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>,
                             _ b: UnsafePointer<Float>, transposeB: Bool = false,
                             m: Int, n: Int, k: Int, beta: Float = 0, rule: Rule?) {
        let padded = paddedRowCount(m: m, n: n, k: k, rule: rule)
        guard padded > m else {
            BLAS.sgemm(c, a, b, transposeB: transposeB, m: m, n: n, k: k, beta: beta)
            return
        }
        // Whole tiles are computed in place; only the rows past the last whole tile (or, for
        // the small-matrix bound, all of them) go through a zero-padded copy.
        var bulk = 0
        if case .wholeTiles(let rows) = rule { bulk = m / rows * rows }
        if bulk > 0 { BLAS.sgemm(c, a, b, transposeB: transposeB, m: bulk, n: n, k: k, beta: beta) }
        let rest = m - bulk, restPadded = padded - bulk
        var paddedA = [Float](repeating: 0, count: restPadded * k)
        var paddedC = [Float](repeating: 0, count: restPadded * n)
        paddedA.withUnsafeMutableBufferPointer { pa in
            paddedC.withUnsafeMutableBufferPointer { pc in
                pa.baseAddress!.update(from: a + bulk * k, count: rest * k)
                if beta != 0 { pc.baseAddress!.update(from: c + bulk * n, count: rest * n) }
                BLAS.sgemm(pc.baseAddress!, pa.baseAddress!, b, transposeB: transposeB, m: restPadded, n: n, k: k, beta: beta)
                (c + bulk * n).update(from: pc.baseAddress!, count: rest * n)
            }
        }
    }
}
