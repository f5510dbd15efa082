import Foundation
import StreamTrain

extension TrainCommand {
    /// The W&B run id run.json records: a resumed run's own, else a new one when --wandb asks
    /// for logging (nil: the run never logs to W&B).
    func wandbRunID(resuming saved: TrainRunConfig?) -> String? {
        saved?.wandbRunID ?? (wandbOptions.wandb ? WandbChild.newRunID() : nil)
    }

    /// Starts the W&B child when --wandb is on and this process writes the run (rank 0),
    /// after checking that the script and the wandb client are there: a missing client fails
    /// here, before any training.
    func startWandb(runID: String?, isRoot: Bool) throws -> WandbChild? {
        guard wandbOptions.wandb, isRoot, let runID else { return nil }
        let script = try WandbChild.locateScript()
        try WandbChild.check(script: script)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        return try WandbChild(script: script, run: URL(fileURLWithPath: out).standardized.path, runID: runID, arguments: wandbOptions)
    }
}
