import Foundation
import XCTest
@testable import StreamTrain

/// The disk fills while training writes a checkpoint: training stops with an error naming the
/// file being written, the half-written checkpoint is removed, the previous checkpoints stay
/// intact and loadable, and resuming from the newest one once space is freed ends with the
/// weights, Adam state and counters of an uninterrupted run, bit for bit. Runs on a small
/// tmpfs (needs root for mount; skipped otherwise).
final class CheckpointDiskFullTests: XCTestCase {
    private var mountPoint: String?

    override func tearDown() {
        if let mountPoint { _ = umount2(mountPoint, 0); try? FileManager.default.removeItem(atPath: mountPoint) }
        super.tearDown()
    }

    private func mountSmallFilesystem(bytes: Int) throws -> URL {
        let dir = NSTemporaryDirectory() + "checkpoint-diskfull-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        guard mount("tmpfs", dir, "tmpfs", 0, "size=\(bytes)") == 0 else {
            try? FileManager.default.removeItem(atPath: dir)
            throw XCTSkip("cannot mount a tmpfs here (errno \(errno)); the disk-full test needs root")
        }
        mountPoint = dir
        return URL(fileURLWithPath: dir)
    }

    private func rows(rowCount: Int, dIn C: Int) -> [Float] {
        var rng = SeededGenerator(seed: 5)
        return (0..<(rowCount * C)).map { _ in rng.nextSymmetric(bound: 1) + 0.2 }
    }

    func testDiskFullWhileCheckpointingKeepsThePreviousCheckpointAndResumesToTheSameWeights() throws {
        var config = SAEConfig(architecture: .standard, dIn: 32)
        config.expansionFactor = 16  // 512 latents: a checkpoint is ~400 KB
        config.batchSize = 32
        config.epochs = 4
        config.seed = 3
        let data = rows(rowCount: 320, dIn: 32)
        let options = SAETrainerOptions(logIntervalSteps: 10, featureFrequencyWindowTokens: 200,
                                        checkpointIntervalSteps: 5, keptCheckpointCount: 2, maxSteps: 30)

        // The uninterrupted run, checkpointing on the ordinary disk; it sizes the small one.
        let cleanDirectory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cleanDirectory) }
        var cleanSource = try ArrayBatchSource(rows: data, rowWidth: 32, seed: 4)
        let straight = try SAETrainer(config: config, options: options)
        try straight.train(source: &cleanSource, checkpoints: CheckpointStore(directory: cleanDirectory, keptCount: 2))
        let checkpointBytes = try FileManager.default.subpathsOfDirectory(atPath: cleanDirectory.appendingPathComponent("step-30").path)
            .reduce(0) { $0 + ((try FileManager.default.attributesOfItem(atPath: cleanDirectory.path + "/step-30/" + $1)[.size] as? Int) ?? 0) }

        // Room for two checkpoints and a half: steps 5 and 10 fit, step 15 does not.
        let fs = try mountSmallFilesystem(bytes: 3 * checkpointBytes + checkpointBytes / 2 + (64 << 10))
        let filler = fs.appendingPathComponent("filler")
        XCTAssertTrue(FileManager.default.createFile(atPath: filler.path, contents: Data(repeating: 1, count: checkpointBytes)))
        let store = CheckpointStore(directory: fs.appendingPathComponent("checkpoints"), keptCount: 2)
        var source = try ArrayBatchSource(rows: data, rowWidth: 32, seed: 4)
        let first = try SAETrainer(config: config, options: options)
        XCTAssertThrowsError(try first.train(source: &source, checkpoints: store), "the disk never filled") { error in
            guard case .io? = error as? CheckpointError else { return XCTFail("not a CheckpointError.io: \(error)") }
            XCTAssertTrue("\(error)".contains(store.directory.path + "/.step-15.tmp/"), "the error should name the file: \(error)")
            XCTAssertTrue("\(error)".contains("No space left on device"), "\(error)")
        }
        XCTAssertEqual(first.state.stepCount, 15, "training stops at the failed checkpoint")

        // The earlier checkpoints are whole; the half-written one is gone.
        XCTAssertEqual(try store.steps(), [5, 10])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.directory.path).sorted(), ["step-10", "step-5"])
        let latest = try XCTUnwrap(try store.loadLatest())
        XCTAssertEqual(latest.step, 10)
        XCTAssertEqual(try store.load(step: 5).step, 5)

        // Space freed: resume from step 10 and finish.
        try FileManager.default.removeItem(at: filler)
        let resumed = try SAETrainer(resumingFrom: latest, options: options)
        var freshSource = try ArrayBatchSource(rows: data, rowWidth: 32, seed: 4)
        try resumed.train(source: &freshSource, checkpoints: store)
        XCTAssertEqual(resumed.sae.weights, straight.sae.weights, "weights")
        XCTAssertEqual(resumed.optimizer.state, straight.optimizer.state, "Adam")
        XCTAssertEqual(resumed.state, straight.state, "counters")
        XCTAssertEqual(try store.steps(), [25, 30])
        let resumedLast = try XCTUnwrap(try store.loadLatest()), cleanLast = try XCTUnwrap(try CheckpointStore(directory: cleanDirectory).loadLatest())
        XCTAssertTrue(resumedLast.weights == cleanLast.weights, "last checkpoint weights")
        XCTAssertTrue(resumedLast.adam == cleanLast.adam, "last checkpoint Adam")
        XCTAssertTrue(resumedLast.state == cleanLast.state, "last checkpoint state")
        XCTAssertEqual(resumedLast.loaderPosition, cleanLast.loaderPosition, "last checkpoint loader position")
    }
}
