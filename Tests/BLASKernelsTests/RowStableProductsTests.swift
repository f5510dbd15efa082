import BLASKernels
import TensorIO
import XCTest

/// `RowStableProducts`: a row's bits do not depend on how many rows share its product or where
/// it sits among them, under the kernels this process runs (OpenBLAS's own choice here: tests
/// never set OPENBLAS_CORETYPE), and the padded products equal the plain ones in value.
final class RowStableProductsTests: XCTestCase {
    private func random(_ count: Int, _ rng: inout SplitMix64) -> [Float] {
        (0..<count).map { _ in Float(Double(rng.next() >> 11) / Double(1 << 53) * 2 - 1) }
    }

    /// Row `position` of an m-row product with `row` placed there (the other rows random), plus
    /// the whole product from plain BLAS for the value check.
    private func product(row: [Float], at position: Int, m: Int, b: [Float], bias: [Float]?, n: Int, k: Int,
                         rule: RowStableProducts.Rule?, rng: inout SplitMix64) -> (row: [Float], all: [Float], plain: [Float]) {
        var a = random(m * k, &rng)
        a.replaceSubrange(position * k..<(position + 1) * k, with: row)
        let start = bias.map { bias in (0..<m).flatMap { _ in bias } } ?? [Float](repeating: 0, count: m * n)
        var c = start, plain = start
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    RowStableProducts.sgemm(c.baseAddress!, a.baseAddress!, b.baseAddress!, m: m, n: n, k: k,
                                            beta: bias == nil ? 0 : 1, rule: rule)
                }
                plain.withUnsafeMutableBufferPointer { p in
                    BLAS.sgemm(p.baseAddress!, a.baseAddress!, b.baseAddress!, m: m, n: n, k: k, beta: bias == nil ? 0 : 1)
                }
            }
        }
        return (Array(c[position * n..<(position + 1) * n]), c, plain)
    }

    func testPaddedRowCounts() {
        XCTAssertEqual(RowStableProducts.paddedRowCount(m: 5, n: 128, k: 512, rule: .avoidSmallMatrixKernel(productBound: 1_000_000)), 16)
        XCTAssertEqual(RowStableProducts.paddedRowCount(m: 16, n: 128, k: 512, rule: .avoidSmallMatrixKernel(productBound: 1_000_000)), 16)
        XCTAssertEqual(RowStableProducts.paddedRowCount(m: 300, n: 2304, k: 768, rule: .avoidSmallMatrixKernel(productBound: 1_000_000)), 300)
        XCTAssertEqual(RowStableProducts.paddedRowCount(m: 1, n: 128, k: 512, rule: .wholeTiles(rows: 32)), 32)
        XCTAssertEqual(RowStableProducts.paddedRowCount(m: 64, n: 128, k: 512, rule: .wholeTiles(rows: 32)), 64)
        XCTAssertEqual(RowStableProducts.paddedRowCount(m: 65, n: 128, k: 512, rule: .wholeTiles(rows: 32)), 96)
        XCTAssertEqual(RowStableProducts.paddedRowCount(m: 7, n: 128, k: 512, rule: nil), 7)
        XCTAssertEqual(RowStableProducts.rule(forCore: "SKYLAKEX"), .avoidSmallMatrixKernel(productBound: 1_000_000))
        XCTAssertEqual(RowStableProducts.rule(forCore: "Prescott"), .wholeTiles(rows: 32))
        XCTAssertNil(RowStableProducts.rule(forCore: "Haswell"))
    }

    /// The issue-13 claim on the kernels running: with the active rule, a row gets the same bits
    /// in every product (1 to 100 rows, any position, 1 and 2 threads, with and without a bias
    /// accumulated); every padded product equals plain BLAS within 1e-5 of its largest value per coordinate.
    /// Where no rule makes rows stable (Haswell), only the value bound is claimed and checked.
    func testARowKeepsItsBitsWhereverItSits() throws {
        let rule = RowStableProducts.activeRule
        let core = OpenBLAS.coreName
        let saved = BLAS.threadCount
        defer { BLAS.threadCount = saved }
        var rng = SplitMix64(seed: 13)
        // The demo model's MLP down- and up-projections and its fused qkv: shapes that straddle
        // SkylakeX's small-matrix bound.
        for (k, n) in [(512, 128), (128, 512), (128, 384)] {
            let b = random(k * n, &rng), bias = random(n, &rng), row = random(k, &rng)
            for threads in [1, 2] {
                BLAS.threadCount = threads
                for withBias in [false, true] {
                    let reference = product(row: row, at: 0, m: 64, b: b, bias: withBias ? bias : nil, n: n, k: k, rule: rule, rng: &rng).row
                    for m in [1, 2, 3, 5, 7, 15, 16, 17, 31, 32, 33, 63, 100] {
                        for position in Set([0, m / 2, m - 1]).sorted() {
                            let got = product(row: row, at: position, m: m, b: b, bias: withBias ? bias : nil, n: n, k: k, rule: rule, rng: &rng)
                            // Per coordinate, against the product's largest value (a sum of k
                            // terms can cancel to near zero, where a relative error means nothing).
                            let scale = got.plain.map(abs).max()!
                            let worst = zip(got.all, got.plain).map { abs($0 - $1) }.max()! / scale
                            XCTAssertLessThanOrEqual(worst, 1e-5, "\(core) k \(k) n \(n) m \(m): padded product vs plain")
                            if rule != nil {
                                XCTAssertEqual(got.row, reference, "\(core) k \(k) n \(n) m \(m) row \(position) threads \(threads) bias \(withBias)")
                            } else {
                                let rowWorst = zip(got.row, reference).map { abs($0 - $1) }.max()! / reference.map(abs).max()!
                                XCTAssertLessThanOrEqual(rowWorst, 1e-5, "\(core) k \(k) n \(n) m \(m) row \(position)")
                            }
                        }
                    }
                }
            }
        }
    }
}
