import ActStore

/// Everything a `saestore train` run needs, saved as RUN/run.json so `--resume` and later
/// analysis (`saestore features --sae RUN`) know the store, the hook and the rows.
public struct TrainRunConfig: Codable, Sendable, Equatable {
    /// Store directory the activations stream from.
    public var store: String
    /// Column, rows, shuffle buffer, workers, seed and position filter.
    public var loader: StreamLoaderConfig
    /// The SAE and its optimiser (dIn is the column's width).
    public var sae: SAEConfig
    /// Logging, checkpoints and budgets.
    public var trainer: SAETrainerOptions
    /// true: stream from the store; false: read the rows into memory first (small stores).
    public var stream: Bool
    /// Streams every epoch is split into for data-parallel training (`RankBatchSource`,
    /// docs/MPI.md); nil: the plain single-stream loader. A run keeps its stream count for life,
    /// whatever the rank count (at most this many ranks).
    public var streamCount: Int?
    /// Rows at the end of the store kept out of training (`--holdout`), which `evaluate` and
    /// `sweep` measure on by default; nil: none held out (or a run from before holdouts).
    public var heldOutRows: Range<Int>?
    /// The Weights & Biases run id this run logs to (`saestore train --wandb`), kept so
    /// `--resume` continues the same W&B run; nil when it never logged to W&B. Not a training
    /// setting: `sameTraining(as:)` ignores it.
    public var wandbRunID: String?
    /// Rows one epoch yields after the row range and position filter, counted once when the run
    /// starts (with `--min-position` that reads the whole `pos` column, O(store rows)); a resume
    /// takes it from here (`knownRowsPerEpoch(for:)`) so that its cost does not grow with the
    /// store. nil in runs from before it was kept, which count again. Derived from the store
    /// and the loader, not a setting: `sameTraining(as:)` ignores it.
    public var rowsPerEpoch: Int?

    /// A run config; `validate()` checks it.
    public init(store: String, loader: StreamLoaderConfig, sae: SAEConfig, trainer: SAETrainerOptions, stream: Bool,
                streamCount: Int? = nil, heldOutRows: Range<Int>? = nil, wandbRunID: String? = nil, rowsPerEpoch: Int? = nil) {
        self.store = store
        self.loader = loader
        self.sae = sae
        self.trainer = trainer
        self.stream = stream
        self.streamCount = streamCount
        self.heldOutRows = heldOutRows
        self.wandbRunID = wandbRunID
        self.rowsPerEpoch = rowsPerEpoch
    }

    /// This saved run's `rowsPerEpoch` if `loader` selects the same rows (column, row range and
    /// position filter); nil otherwise, and the caller counts.
    public func knownRowsPerEpoch(for loader: StreamLoaderConfig) -> Int? {
        guard loader.column == self.loader.column, loader.firstRow == self.loader.firstRow,
              loader.endRow == self.loader.endRow, loader.minimumPosition == self.loader.minimumPosition else { return nil }
        return rowsPerEpoch
    }

    /// The stream count a run trains with (`streamCount`): `explicit` (`--streams`) if given;
    /// else, when resuming, the `saved` run's, since a run keeps its stream count for life
    /// whatever the rank count (docs/MPI.md); else one stream per rank when `rankCount` > 1;
    /// else nil, the plain single-stream loader. A saved run without streams resumed on several
    /// ranks gets one per rank, which `TrainRun.run` then refuses (not the saved settings).
    public static func streamCount(explicit: Int?, saved: TrainRunConfig?, rankCount: Int) -> Int? {
        if let explicit { return explicit }
        if let count = saved?.streamCount { return count }
        return rankCount > 1 ? rankCount : nil
    }

    /// The rows a run trains on and holds out: `given` (what `--rows`/`--holdout` resolved to)
    /// unless the run is resumed (`saved`) and neither option was given (`rowsGiven` false), in
    /// which case the saved run's own rows and holdout, even if the store (`storeRowCount` rows
    /// now) has grown since; a saved open-ended range (no end row) ends at the store's end.
    public static func rows(given: (training: Range<Int>?, heldOut: Range<Int>?), rowsGiven: Bool, saved: TrainRunConfig?,
                            storeRowCount: Int) -> (training: Range<Int>?, heldOut: Range<Int>?) {
        guard let saved, !rowsGiven else { return given }
        let training = saved.loader.firstRow.map { $0..<(saved.loader.endRow ?? storeRowCount) } ?? saved.loader.endRow.map { 0..<$0 }
        return (training, saved.heldOutRows)
    }

    /// Equal in everything that decides the training (all but where it is logged): what a
    /// resumed run must match.
    public func sameTraining(as other: TrainRunConfig) -> Bool {
        var a = self, b = other
        a.wandbRunID = nil
        b.wandbRunID = nil
        a.rowsPerEpoch = nil
        b.rowsPerEpoch = nil
        return a == b
    }

    /// Throws the loader's, SAE config's and trainer options' errors, and `StoreError.invalidArgument`
    /// for a stream count below 1, streams with `stream` false, or training rows that overlap the held-out rows.
    public func validate() throws {
        try loader.validate()
        try sae.validate()
        try trainer.validate()
        if let streamCount {
            guard streamCount >= 1 else { throw StoreError.invalidArgument("the stream count must be at least 1, got \(streamCount)") }
            guard stream else { throw StoreError.invalidArgument("data-parallel streams read from the store; they cannot be combined with --no-stream") }
        }
        if let heldOutRows, let endRow = loader.endRow {
            guard endRow <= heldOutRows.lowerBound || (loader.firstRow ?? 0) >= heldOutRows.upperBound else {
                throw StoreError.invalidArgument("the training rows ..\(endRow) overlap the held-out rows \(heldOutRows.lowerBound)..\(heldOutRows.upperBound)")
            }
        }
    }
}

/// What a training run did.
public struct TrainRunSummary: Codable, Sendable {
    /// Steps taken in total (including before a resume).
    public var steps: Int
    /// Rows trained on in total (tokens, including before a resume).
    public var tokens: Int
    /// Epochs completed.
    public var epochs: Int
    /// Wall-clock seconds this invocation trained.
    public var seconds: Double
    /// Rows per second this invocation trained (tokens/s).
    public var tokensPerSecond: Double
    /// The checkpoint step this invocation resumed from; nil for a fresh run.
    public var resumedFromStep: Int?
    /// Why training stopped (`TrainingSummary.StopReason`, as text).
    public var stopReason: String
    /// MSE of the last metrics window (per element, docs/SAE.md); nil if none was emitted.
    public var mse: Double?
    /// L0 of the last metrics window (latents firing per row).
    public var l0: Double?
    /// Fraction of variance explained in the last metrics window.
    public var explainedVariance: Double?
    /// Fraction of latents dead at the end (no firing in the dead-feature window).
    public var deadFeatureFraction: Double?
    /// Path of the SAELens export (RUN/sae).
    public var exportDirectory: String
    /// Rank 0's step-time breakdown of a data-parallel run (nil for a plain run).
    public var dataParallel: DataParallelTimings?
}
