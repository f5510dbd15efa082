import Foundation
import StreamTrain
import XCTest
@testable import Evaluation
@testable import FeatureAnalysis
@testable import Pipeline
@testable import SAELoading
@testable import Sweep

final class MonosemanticityTests: XCTestCase {
    /// Units with known answers: one token only; two tokens with equal mass; too rare.
    func testConstructedUnitsHaveTheirKnownScores() {
        // Rows 0..<60; token = row % 6; previous token = (row − 1) % 6, the window marker at row 0.
        let tokens = (0..<60).map { UInt32($0 % 6) }
        let previous = (0..<60).map { $0 == 0 ? RowTokens.windowStart : UInt32(($0 - 1) % 6) }
        var tracker = UnitActivationTracker(unitCount: 3, topK: 4, activation: .identity)
        for row in 0..<60 {
            var values: [Float] = [0, 0, 0]
            if tokens[row] == 2 { values[0] = 1 + Float(row) / 100 }          // token 2 only
            if tokens[row] == 3 || tokens[row] == 4 { values[1] = 2 }          // two tokens, equal mass
            if row == 5 || row == 6 { values[2] = 1 }                         // fires twice: < k
            tracker.add(values, offset: 0, row: Int32(row))
        }
        let units = tracker.measures(tokenIDs: tokens, previousTokenIDs: previous)
        XCTAssertEqual(units[.topKTokenShare][0], 1)
        XCTAssertEqual(units[.tokenMassShare][0], 1)
        XCTAssertEqual(units[.tokenEntropyBits][0], 0)
        XCTAssertEqual(units[.topKPairShare][0], 1, "token 2 always follows token 1")
        XCTAssertEqual(units.halfMaxRowCount[0], 10)

        // Unit 1: all 20 firing rows tie at 2; the top 4 are the lowest rows (3, 4, 9, 10).
        XCTAssertEqual(tracker.topRows(unit: 1).map(\.row), [3, 4, 9, 10])
        XCTAssertEqual(units[.topKTokenShare][1], 0.5)
        XCTAssertEqual(units[.tokenMassShare][1], 0.5)
        XCTAssertEqual(units[.tokenEntropyBits][1]!, 1, accuracy: 1e-12)
        XCTAssertEqual(units[.pairEntropyBits][1]!, 1, accuracy: 1e-12, "pairs (2,3) and (3,4)")

        XCTAssertEqual(units.firingRowCount[2], 2)
        XCTAssertNil(units[.topKTokenShare][2], "fewer than k firing rows: not measured")
        XCTAssertNil(units[.tokenEntropyBits][2])
    }

    /// Top-k and half-max rows equal a sort of all values, whatever order the rows arrive in,
    /// and the measures equal a direct recomputation from those rows.
    func testTrackerEqualsBruteForceInAnyArrivalOrder() {
        var rng = SeededGenerator(seed: 3)
        let rowCount = 700, unitCount = 9, k = 20
        let tokens = (0..<rowCount).map { _ in UInt32(rng.nextIndex(below: 12)) }
        let previous = (0..<rowCount).map { $0 == 0 ? RowTokens.windowStart : tokens[$0 - 1] }
        // Signed values with ties (rounded to 1/8) and a heavy tail.
        let values = (0..<(rowCount * unitCount)).map { i -> Float in
            let base = (rng.nextSymmetric(bound: 1) * 8).rounded() / 8
            return i % 97 == 0 ? base * 9 : base
        }
        var order = Array(0..<rowCount)
        order.shuffle(using: &rng)
        for activation in [UnitActivation.positivePart, .absolute] {
            var tracker = UnitActivationTracker(unitCount: unitCount, topK: k, activation: activation)
            for row in order { tracker.add(values, offset: row * unitCount, row: Int32(row)) }
            let units = tracker.measures(tokenIDs: tokens, previousTokenIDs: previous)
            for unit in 0..<unitCount {
                let all = (0..<rowCount).map { (row: $0, value: activation.apply(values[$0 * unitCount + unit])) }.filter { $0.value > 0 }
                let top = all.sorted { $0.value > $1.value || ($0.value == $1.value && $0.row < $1.row) }.prefix(k)
                XCTAssertEqual(tracker.topRows(unit: unit).map { Int($0.row) }, top.map(\.row))
                let maximum = all.map(\.value).max()!
                let half = all.filter { $0.value >= maximum / 2 }
                XCTAssertEqual(tracker.halfMaxRows(unit: unit).map { Int($0.row) }, half.map(\.row))
                XCTAssertEqual(units.firingRowCount[unit], all.count)

                var topCounts: [UInt32: Int] = [:]
                for entry in top { topCounts[tokens[entry.row], default: 0] += 1 }
                XCTAssertEqual(units[.topKTokenShare][unit]!, Double(topCounts.values.max()!) / Double(k), accuracy: 1e-12)
                var mass: [UInt32: Double] = [:]
                for entry in half { mass[tokens[entry.row], default: 0] += Double(entry.value) }
                let total = mass.values.reduce(0, +)
                let entropy = -mass.values.map { $0 / total * log2($0 / total) }.reduce(0, +)
                XCTAssertEqual(units[.tokenMassShare][unit]!, mass.values.max()! / total, accuracy: 1e-12)
                XCTAssertEqual(units[.tokenEntropyBits][unit]!, entropy, accuracy: 1e-9)
            }
        }
    }

    /// numpy's percentiles of [1, 2, 3, 4]: 1.75, 2.5, 3.25.
    func testDistributionSummaryMatchesNumpysQuantiles() throws {
        let summary = try XCTUnwrap(DistributionSummary([4, 1, 3, 2, .nan]))
        XCTAssertEqual(summary.count, 4)
        XCTAssertEqual(summary.q1, 1.75)
        XCTAssertEqual(summary.median, 2.5)
        XCTAssertEqual(summary.q3, 3.25)
        XCTAssertEqual(summary.mean, 2.5)
        XCTAssertEqual([summary.min, summary.max], [1, 4])
        XCTAssertEqual(DistributionSummary([7])?.q1, 7)
        XCTAssertNil(DistributionSummary([]))
    }
}
