import ActStore
import Foundation
import XCTest
@testable import StreamTrain

/// The data-parallel loader, gradient reduction and launch detection, without MPI: ranks are
/// simulated in one process (the MPI runs are in Tests/CLITests/MPITrainCommandTests.swift).
final class RankBatchSourceTests: XCTestCase {
    /// Every global batch, as the concatenation of the ranks' batches in rank order, for an epoch.
    private func globalBatches(_ sources: [RankBatchSource], globalRows: Int) throws -> [[Int]] {
        var out: [[Int]] = []
        while true {
            var step: [Int] = []
            for source in sources {
                var batch = [Float](repeating: 0, count: source.maxRankRowCount(globalRowCount: globalRows) * source.rowWidth)
                let n = try source.nextBatch(into: &batch, globalRowLimit: globalRows)
                XCTAssertEqual(n, source.lastBatchRows.count)
                for i in 0..<n { XCTAssertEqual(Int(batch[i * 4]), source.lastBatchRows[i], "values are the row's") }
                step += source.lastBatchRows
            }
            if step.isEmpty {
                for source in sources { try source.advanceEpoch() }
                return out
            }
            out.append(step)
        }
    }

    private func ranks(_ reader: any StoreReading, _ config: StreamLoaderConfig, streams: Int, count: Int) throws -> [RankBatchSource] {
        try (0..<count).map { try RankBatchSource(reader: reader, config: config, streamCount: streams, rank: $0, rankCount: count) }
    }

    func testRanksSplitExactlyTheGlobalBatchesOfOneProcess() throws {
        let reader = try StoreReader(path: try makeLoaderStore(self))
        let config = StreamLoaderConfig(column: "act", shuffleBufferRows: 400, workerCount: 1, prefetchChunks: 2, seed: 5)
        let one = try ranks(reader, config, streams: 4, count: 1)
        let two = try ranks(reader, config, streams: 4, count: 2)
        let three = try ranks(reader, config, streams: 4, count: 3)
        for epoch in 0..<2 {
            let reference = try globalBatches(one, globalRows: 64)
            XCTAssertEqual(reference.flatMap { $0 }.sorted(), Array(0..<2000), "epoch \(epoch): every row once")
            // Streams run dry at different steps near the end (their chunks differ in size).
            XCTAssertTrue(reference.prefix(reference.count / 2).allSatisfy { $0.count == 64 })
            XCTAssertEqual(try globalBatches(two, globalRows: 64), reference, "epoch \(epoch), 2 ranks")
            XCTAssertEqual(try globalBatches(three, globalRows: 64), reference, "epoch \(epoch), 3 ranks (uneven)")
        }
        // Each rank reads only its own chunks: the ranks' row sets are disjoint.
        let fresh = try ranks(reader, config, streams: 4, count: 2)
        var seen: [Set<Int>] = [[], []]
        for _ in 0..<10 {
            for (r, source) in fresh.enumerated() {
                var batch = [Float](repeating: 0, count: 64 * 4)
                _ = try source.nextBatch(into: &batch, globalRowLimit: 64)
                seen[r].formUnion(try source.lastBatchRows.map { try reader.chunk(containing: $0) })
            }
        }
        XCTAssertTrue(seen[0].isDisjoint(with: seen[1]), "chunks read by both ranks: \(seen[0].intersection(seen[1]))")
    }

    func testPositionRestoresOnAnotherRankCount() throws {
        let reader = try StoreReader(path: try makeLoaderStore(self))
        let config = StreamLoaderConfig(column: "act", shuffleBufferRows: 400, workerCount: 1, prefetchChunks: 2, seed: 9)
        let one = try ranks(reader, config, streams: 2, count: 1)
        let all = try globalBatches(one, globalRows: 48)
        // Two ranks take 11 steps; their (identical) position is restored on one process.
        let two = try ranks(reader, config, streams: 2, count: 2)
        for _ in 0..<11 {
            for source in two {
                var batch = [Float](repeating: 0, count: 48 * 4)
                _ = try source.nextBatch(into: &batch, globalRowLimit: 48)
            }
        }
        XCTAssertEqual(try two[0].position(), try two[1].position())
        let resumed = try ranks(reader, config, streams: 2, count: 1)
        try resumed[0].restore(position: try two[0].position())
        XCTAssertEqual(try globalBatches(resumed, globalRows: 48), Array(all[11...]))
        // Another stream count is refused with the flag to use.
        let other = try ranks(reader, config, streams: 3, count: 1)
        XCTAssertThrowsError(try other[0].restore(position: try two[0].position())) { error in
            XCTAssertTrue("\(error)".contains("--streams 2"), "\(error)")
        }
        XCTAssertThrowsError(try RankBatchSource(reader: reader, config: config, streamCount: 2, rank: 2, rankCount: 3))
    }

    /// The reduction's result against one process's gradient over the concatenated rows (the
    /// reference): Σ n_r·g_r / Σ n_r equals the full batch's gradient within 1e-5 of each
    /// tensor's largest value (Float rounding of the products; measured ~1e-7). The gated SAE's
    /// r_mag and b_mag travel in the same buffer, and its loss total (with the auxiliary term).
    func testRowWeightedSumOfRankGradientsIsTheGlobalBatchGradient() throws {
        for architecture in [SAEArchitecture.tied, .standard, .gated] {
            let C = 16, H = 64
            let sae = architecture == .gated ? TestSAE.gated(dIn: C, dSAE: H) : TestSAE.make(architecture, dIn: C, dSAE: H)
            let rows = [37, 27]                       // unequal shares, as when a stream runs dry
            let x = TestSAE.batch(rowCount: rows.reduce(0, +), dIn: C)
            var workspace = SAEWorkspace(sae: sae, maxRowCount: 64, threadCount: 2)
            var full = SAEWeights(zerosFor: architecture, dIn: C, dSAE: H)
            let fullLosses = sae.lossAndGradients(x, rowCount: 64, l1Coefficient: 1e-2, workspace: &workspace,
                                                  gradients: &full, kernels: .dense)
            let fullFired = workspace.firedRowCounts

            var summed: [Float]?
            var reduction = GradientReduction(gradients: full, latentCount: H)
            var start = 0
            for n in rows {
                var g = SAEWeights(zerosFor: architecture, dIn: C, dSAE: H)
                let part = Array(x[start * C..<(start + n) * C])
                let losses = sae.lossAndGradients(part, rowCount: n, l1Coefficient: 1e-2, workspace: &workspace,
                                                  gradients: &g, kernels: .dense)
                reduction.pack(gradients: g, firedRowCounts: workspace.firedRowCounts, rowCount: n, losses: losses, pool: workspace.pool)
                summed = summed.map { zip($0, reduction.flat).map { $0 + $1 } } ?? reduction.flat
                start += n
            }
            reduction.flat = summed!
            XCTAssertEqual(reduction.rowCount, 64)
            var global = SAEWeights(zerosFor: architecture, dIn: C, dSAE: H)
            var fired = [Int32](repeating: 0, count: H)
            let losses = reduction.unpack(into: &global, firedRowCounts: &fired, pool: workspace.pool)
            XCTAssertEqual(fired, fullFired)
            XCTAssertEqual(losses.mse, fullLosses.mse, accuracy: 1e-6 * fullLosses.mse)
            XCTAssertEqual(losses.total, fullLosses.total, accuracy: 1e-6 * fullLosses.total)
            XCTAssertEqual(losses.auxiliary, fullLosses.auxiliary, accuracy: 1e-6 * max(fullLosses.auxiliary, 1e-30))
            if architecture == .gated { XCTAssertGreaterThan(fullLosses.auxiliary, 0) }
            XCTAssertEqual(global.rMag.count, architecture == .gated ? H : 0)
            for (name, a, b) in zip3(SAEWeights.tensorNames + ["r_mag", "b_mag"], global.tensors + [global.rMag, global.bMag],
                                     full.tensors + [full.rMag, full.bMag]) {
                let scale = b.map(abs).max() ?? 0
                let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThanOrEqual(worst, 1e-5 * max(scale, 1e-30), "\(architecture) \(name)")
            }
        }
    }

    private func zip3<A, B, C>(_ a: [A], _ b: [B], _ c: [C]) -> [(A, B, C)] {
        (0..<min(a.count, b.count, c.count)).map { (a[$0], b[$0], c[$0]) }
    }

    func testLaunchIsReadFromTheEnvironmentOnly() {
        XCTAssertNil(MPILaunch.detect(environment: [:]))
        XCTAssertNil(MPILaunch.detect(environment: ["PATH": "/usr/bin"]))
        XCTAssertEqual(MPILaunch.detect(environment: ["OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "4"]),
                       MPILaunch(rank: 1, rankCount: 4))
        XCTAssertEqual(MPILaunch.detect(environment: ["PMIX_RANK": "0", "OMPI_COMM_WORLD_SIZE": "2"]),
                       MPILaunch(rank: 0, rankCount: 2))
        XCTAssertEqual(MPILaunch.detect(environment: ["PMI_RANK": "2", "PMI_SIZE": "3"]), MPILaunch(rank: 2, rankCount: 3))
        let local = MPILaunch.detect(environment: ["OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "8", "OMPI_COMM_WORLD_LOCAL_SIZE": "4"])
        XCTAssertEqual(local?.localRankCount, 4)
        XCTAssertEqual(local?.threadsPerRank(coreCount: 16), 4)
        XCTAssertEqual(local?.threadsPerRank(coreCount: 2), 1)
        XCTAssertEqual(MPILaunch(rank: 0, rankCount: 2).threadsPerRank(coreCount: 8), 8, "unknown local count: all cores")
        XCTAssertNil(MPILaunch.detect(environment: ["OMPI_COMM_WORLD_RANK": "4", "OMPI_COMM_WORLD_SIZE": "4"]))
    }
}
