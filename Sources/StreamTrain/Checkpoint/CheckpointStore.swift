import Foundation
import TensorIO

/// `RUN/checkpoints/`: one `step-<N>/` directory per checkpoint, each holding
/// `tensors.safetensors` (weights and Adam moments, F32), `trainer.json` (config, Adam step,
/// counters, firing history, RNG) and `loader.bin` (the source's position blob).
///
/// A checkpoint is written into `.step-<N>.tmp/`, every file fsynced, the directory fsynced and
/// renamed to `step-<N>/`, then the parent fsynced: a crash leaves either the whole checkpoint
/// or none. Only the newest `keptCount` are kept.
public struct CheckpointStore: Sendable {
    /// The `checkpoints` directory.
    public let directory: URL
    /// Checkpoints kept (count).
    public let keptCount: Int

    /// A store over `directory` (created on the first save) keeping the newest `keptCount` (>= 1; traps otherwise) checkpoints.
    public init(directory: URL, keptCount: Int = 3) {
        precondition(keptCount >= 1, "keep at least one checkpoint")
        self.directory = directory
        self.keptCount = keptCount
    }

    private struct TrainerFile: Codable {
        var formatVersion: Int
        var config: SAEConfig
        var adamStepCount: Int
        var state: TrainerState
    }

    private static let formatVersion = 1
    private static let tensorFile = "tensors.safetensors"
    private static let trainerFile = "trainer.json"
    private static let loaderFile = "loader.bin"

    /// Writes `checkpoint` atomically and prunes old ones; returns its directory.
    @discardableResult
    public func save(_ checkpoint: TrainingCheckpoint) throws -> URL {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        let name = "step-\(checkpoint.step)"
        let temporary = directory.appendingPathComponent(".\(name).tmp")
        let final = directory.appendingPathComponent(name)
        if fm.fileExists(atPath: temporary.path) { try fm.removeItem(at: temporary) }
        do {
            try fm.createDirectory(at: temporary, withIntermediateDirectories: false)
        } catch {
            throw CheckpointError.io(path: temporary.path, operation: "create directory", message: error.localizedDescription)
        }
        do {
            try write(checkpoint, into: temporary, final: final)
        } catch {
            // A half-written checkpoint (the disk filled, say) only takes space: drop it so the
            // next attempt has room. The previous checkpoints were never touched.
            try? fm.removeItem(at: temporary)
            throw error
        }
        try DurableFile.syncDirectory(directory)
        try prune()
        return final
    }

    /// The files of `checkpoint` into `temporary`, fsynced, then the directory renamed to `final`.
    private func write(_ checkpoint: TrainingCheckpoint, into temporary: URL, final: URL) throws {
        let fm = FileManager.default
        let config = checkpoint.config
        let C = config.dIn, H = config.latentCount
        let shapes: [[Int]] = [[C, H], [H], config.architecture.isTied ? [0] : [H, C], [C]]
        var tensors: [(name: String, shape: [Int], values: [Float], dtype: TensorDType)] = []
        for (i, name) in SAEWeights.tensorNames.enumerated() {
            tensors.append((name, shapes[i], checkpoint.weights.tensors[i], .f32))
            tensors.append(("adam.m.\(name)", shapes[i], checkpoint.adam.firstMoments[i], .f32))
            tensors.append(("adam.v.\(name)", shapes[i], checkpoint.adam.secondMoments[i], .f32))
        }
        // jumprelu's trained threshold (Adam slot 4) and batchtopk's inference threshold.
        if config.architecture.hasThreshold {
            tensors.append(("threshold", [H], checkpoint.weights.threshold, .f32))
            if checkpoint.adam.firstMoments.count == 5 {
                tensors.append(("adam.m.threshold", [H], checkpoint.adam.firstMoments[4], .f32))
                tensors.append(("adam.v.threshold", [H], checkpoint.adam.secondMoments[4], .f32))
            }
        }
        // The gated SAE's magnitude path (Adam slots 4 and 5); its b_gate is the b_enc above.
        if config.architecture.isGated {
            for (slot, (name, values)) in [("r_mag", checkpoint.weights.rMag), ("b_mag", checkpoint.weights.bMag)].enumerated() {
                tensors.append((name, [H], values, .f32))
                tensors.append(("adam.m.\(name)", [H], checkpoint.adam.firstMoments[4 + slot], .f32))
                tensors.append(("adam.v.\(name)", [H], checkpoint.adam.secondMoments[4 + slot], .f32))
            }
        }
        // A skip transcoder's W_skip (Adam slot 4; transcoders are standard or topk, no threshold).
        if config.transcoder?.skipConnection == true {
            tensors.append(("W_skip", [C, C], checkpoint.weights.wSkip, .f32))
            tensors.append(("adam.m.W_skip", [C, C], checkpoint.adam.firstMoments[4], .f32))
            tensors.append(("adam.v.W_skip", [C, C], checkpoint.adam.secondMoments[4], .f32))
        }
        do {
            try SafetensorsWriter.write(path: temporary.appendingPathComponent(Self.tensorFile).path,
                                        tensors: tensors, metadata: ["format": "saestore-checkpoint"])
        } catch let TensorIOError.io(path, operation, message) {
            throw CheckpointError.io(path: path, operation: operation, message: message)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let trainer = TrainerFile(formatVersion: Self.formatVersion, config: config,
                                  adamStepCount: checkpoint.adam.stepCount, state: checkpoint.state)
        try DurableFile.write(try encoder.encode(trainer), to: temporary.appendingPathComponent(Self.trainerFile))
        try DurableFile.write(checkpoint.loaderPosition, to: temporary.appendingPathComponent(Self.loaderFile))
        try DurableFile.syncDirectory(temporary)
        if fm.fileExists(atPath: final.path) { try fm.removeItem(at: final) }
        try DurableFile.rename(temporary, to: final)
    }

    /// Steps with a complete checkpoint directory, ascending.
    public func steps() throws -> [Int] {
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .compactMap { $0.hasPrefix("step-") ? Int($0.dropFirst(5)) : nil }
            .sorted()
    }

    /// The newest checkpoint, or nil if there is none.
    public func loadLatest() throws -> TrainingCheckpoint? {
        guard let step = try steps().last else { return nil }
        return try load(step: step)
    }

    /// The checkpoint of `step`.
    public func load(step: Int) throws -> TrainingCheckpoint {
        let dir = directory.appendingPathComponent("step-\(step)")
        func malformed(_ detail: String) -> CheckpointError { .malformed(directory: dir.path, detail: detail) }
        let trainerData: Data
        do { trainerData = try Data(contentsOf: dir.appendingPathComponent(Self.trainerFile)) } catch {
            throw malformed("cannot read \(Self.trainerFile): \(error.localizedDescription)")
        }
        let trainer: TrainerFile
        do { trainer = try JSONDecoder().decode(TrainerFile.self, from: trainerData) } catch {
            throw malformed("\(Self.trainerFile) is not a saestore trainer state: \(error)")
        }
        guard trainer.formatVersion <= Self.formatVersion else {
            throw malformed("format version \(trainer.formatVersion) is newer than this saestore (\(Self.formatVersion))")
        }
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: dir.appendingPathComponent(Self.tensorFile).path) } catch {
            throw malformed("\(error)")
        }
        var values: [[Float]] = [], first: [[Float]] = [], second: [[Float]] = [], threshold: [Float] = []
        var rMag: [Float] = [], bMag: [Float] = [], wSkip: [Float] = []
        do {
            for name in SAEWeights.tensorNames {
                values.append(try file.floats(name))
                first.append(try file.floats("adam.m.\(name)"))
                second.append(try file.floats("adam.v.\(name)"))
            }
            if trainer.config.architecture.hasThreshold { threshold = try file.floats("threshold") }
            if trainer.config.architecture == .jumprelu {
                first.append(try file.floats("adam.m.threshold"))
                second.append(try file.floats("adam.v.threshold"))
            }
            if trainer.config.architecture.isGated {
                rMag = try file.floats("r_mag")
                bMag = try file.floats("b_mag")
                for name in ["r_mag", "b_mag"] {
                    first.append(try file.floats("adam.m.\(name)"))
                    second.append(try file.floats("adam.v.\(name)"))
                }
            }
            if trainer.config.transcoder?.skipConnection == true {
                wSkip = try file.floats("W_skip")
                first.append(try file.floats("adam.m.W_skip"))
                second.append(try file.floats("adam.v.W_skip"))
            }
        } catch { throw malformed("\(error)") }
        let loader: Data
        do { loader = try Data(contentsOf: dir.appendingPathComponent(Self.loaderFile)) } catch {
            throw malformed("cannot read \(Self.loaderFile): \(error.localizedDescription)")
        }
        return TrainingCheckpoint(
            config: trainer.config,
            weights: SAEWeights(wEnc: values[0], bEnc: values[1], wDec: values[2], bDec: values[3],
                                threshold: threshold, rMag: rMag, bMag: bMag, wSkip: wSkip),
            adam: AdamState(stepCount: trainer.adamStepCount, firstMoments: first, secondMoments: second),
            state: trainer.state, loaderPosition: loader)
    }

    private func prune() throws {
        let fm = FileManager.default
        let all = try steps()
        for step in all.dropLast(keptCount) {
            try fm.removeItem(at: directory.appendingPathComponent("step-\(step)"))
        }
        // Leftovers of a crash in the middle of `save`.
        for name in try fm.contentsOfDirectory(atPath: directory.path) where name.hasPrefix(".step-") {
            try fm.removeItem(at: directory.appendingPathComponent(name))
        }
    }
}
