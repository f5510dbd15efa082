import XCTest
@testable import StreamTrain

/// Weiszfeld's geometric median (`GeometricMedian`) against brute-force references, and the
/// trainer's `bDecInit` (b_dec at the mean or geometric median of a sample before step 1).
final class GeometricMedianTests: XCTestCase {
    func testTwoDimensionsMatchesAGridSearch() {
        // Seven points, one far outlier; brute force over a 0.002 grid of [-2, 2]².
        let points: [Float] = [0.1, 0.2, -0.4, 0.5, 0.9, -0.3, 0.3, 0.8, -0.7, -0.6, 0.2, -0.1, 40, 35]
        let n = 7
        let result = GeometricMedian.weiszfeld(rows: points, rowCount: n, width: 2)
        var best = (objective: Double.infinity, x: 0.0, y: 0.0)
        for i in 0...2000 {
            for j in 0...2000 {
                let m = [-2 + 0.002 * Double(i), -2 + 0.002 * Double(j)]
                let value = GeometricMedian.objective(m, rows: points, rowCount: n, width: 2)
                if value < best.objective { best = (value, m[0], m[1]) }
            }
        }
        XCTAssertEqual(result.median[0], best.x, accuracy: 0.004)
        XCTAssertEqual(result.median[1], best.y, accuracy: 0.004)
        // 100 Weiszfeld steps converge linearly: within 1e-8 relative of the best grid point
        // (measured 4e-9), and the grid's best is no better than that.
        XCTAssertLessThanOrEqual(result.objective, best.objective * (1 + 1e-8), "no grid point does better")
        let mean = GeometricMedian.mean(rows: points, rowCount: n, width: 2)
        XCTAssertGreaterThan(mean[0], 5, "the outlier drags the mean, not the median")
        XCTAssertLessThan(abs(result.median[0]), 1)
    }

    func testFiveDimensionsIsAStationaryPoint() {
        // The objective is convex, so a zero gradient Σ (m − x_i)/‖m − x_i‖ is its minimum.
        var rng = SeededGenerator(seed: 31)
        let n = 210, width = 5
        var rows = (0..<(n * width)).map { _ in rng.nextSymmetric(bound: 1) }
        for i in 200..<n { for c in 0..<width { rows[i * width + c] = 50 + rng.nextSymmetric(bound: 5) } }
        let result = GeometricMedian.weiszfeld(rows: rows, rowCount: n, width: width)
        var gradient = [Double](repeating: 0, count: width)
        for i in 0..<n {
            let d = (0..<width).map { result.median[$0] - Double(rows[i * width + $0]) }
            let norm = d.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for c in 0..<width { gradient[c] += d[c] / norm }
        }
        XCTAssertLessThan(gradient.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-6 * Double(n))
        for c in 0..<width {
            for step in [-1e-3, 1e-3] {
                var moved = result.median
                moved[c] += step
                XCTAssertGreaterThan(GeometricMedian.objective(moved, rows: rows, rowCount: n, width: width), result.objective)
            }
        }
        // One dimension: the geometric median is the ordinary median.
        let line: [Float] = [3, -1, 7, 0.5, 100, 2, -4]
        XCTAssertEqual(GeometricMedian.weiszfeld(rows: line, rowCount: 7, width: 1).median[0], 2, accuracy: 1e-3)
    }

    func testTrainerStartsBDecAtTheSampleMedianOrMean() throws {
        var rng = SeededGenerator(seed: 5)
        let rows = (0..<(256 * 8)).map { _ in 0.3 + rng.nextSymmetric(bound: 1) }
        for method in [DecoderBiasInit.mean, .geometricMedian] {
            var config = SAEConfig(architecture: .standard, dIn: 8)
            config.dSAE = 16
            config.batchSize = 32
            config.learningRate = 1e-30  // Adam runs but moves no weight by a representable amount
            config.bDecInit = method
            config.bDecInitRowCount = 100
            config.normalizeActivations = .expectedAverageOnlyIn
            let trainer = try SAETrainer(config: config, options: SAETrainerOptions(maxSteps: 1))
            XCTAssertTrue(trainer.sae.weights.bDec.allSatisfy { $0 == 0 })
            var source = try ArrayBatchSource(rows: rows, rowWidth: 8, seed: 5)
            var probe = try ArrayBatchSource(rows: rows, rowWidth: 8, seed: 5)
            var sample = [Float](repeating: 0, count: 100 * 8)
            var read = 0
            var buffer = [Float](repeating: 0, count: 32 * 8)
            while read < 100 {
                let got = try probe.nextBatch(into: &buffer, maxRowCount: min(32, 100 - read))
                for i in 0..<(got * 8) { sample[read * 8 + i] = buffer[i] }
                read += got
            }
            try trainer.train(source: &source)
            let scale = try XCTUnwrap(trainer.state.activationScale)
            let scaled = sample.map { $0 * scale }
            let expected = method == .mean ? GeometricMedian.mean(rows: scaled, rowCount: 100, width: 8)
                : GeometricMedian.weiszfeld(rows: scaled, rowCount: 100, width: 8).median
            XCTAssertEqual(trainer.sae.weights.bDec, expected.map { Float($0) }, "\(method)")
            XCTAssertEqual(trainer.state.decoderBiasInitialized, true)
            XCTAssertEqual(trainer.state.tokenCount, 32, "the sample rows are trained on too (the source was put back)")
        }
        var bad = SAEConfig(architecture: .standard, dIn: 8)
        bad.bDecInitRowCount = 0
        XCTAssertThrowsError(try bad.validate())
    }
}
