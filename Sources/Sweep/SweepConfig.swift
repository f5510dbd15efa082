import Evaluation
import SAELoading
import StreamTrain

/// What `saestore sweep` trains: one SAE per L1 coefficient (or per k for TopK), or one per
/// `memberSpecs` entry (architectures side by side), all with the same other settings, from one
/// pass over the store (docs/EVALUATION.md, "Sweeps").
public struct SweepConfig: Codable, Sendable, Equatable {
    /// Store directory the activations stream from.
    public var store: String
    /// Column (hook) to train on.
    public var hook: String
    /// Output directory: one run directory per SAE, plus sweep.json, sweep.md, sweep.svg.
    public var out: String
    /// SAE family shared by all members (with `memberSpecs`, each member names its own).
    public var architecture: SAEArchitecture
    /// Members across architectures, each with its own knob (`--member`); nil or empty: one
    /// member per `l1Coefficients` or `ks` value of `architecture`.
    public var memberSpecs: [SweepMemberSpec]?
    /// λ per member (tied/standard); for topk at most one value, applied to every member (default 0).
    public var l1Coefficients: [Double]
    /// k per member (topk only).
    public var ks: [Int]
    /// Latents per input dimension (dimensionless).
    public var expansionFactor: Int
    /// Adam learning rate (parameter units per step).
    public var learningRate: Double
    /// Rows per optimiser step (shared: every member steps on the same batch).
    public var batchSize: Int
    /// Passes over the training rows (count).
    public var epochs: Int
    /// Seed of the weight init, the chunk order and the shuffle buffer.
    public var seed: UInt64
    /// Training rows [firstRow, endRow); nil = from the start / to the end.
    public var firstRow: Int?
    /// End of the training rows (exclusive); nil = to the store's last row.
    public var endRow: Int?
    /// Rows held out at the end of the store (`--holdout`), recorded in every member's run.json
    /// and evaluated on; nil: the rows outside [firstRow, endRow), if any.
    public var heldOutRows: Range<Int>?
    /// Stop after this many training rows per member (tokens); nil = no budget.
    public var maxTokens: Int?
    /// Rows at context positions below this are skipped (1 skips BOS).
    public var minimumPosition: Int
    /// Rows held in the loader's shuffle buffer.
    public var shuffleBufferRows: Int
    /// Threads decompressing chunks.
    public var workerCount: Int
    /// Steps between metric records (steps).
    public var logIntervalSteps: Int
    /// Untied only: keep decoder rows at unit norm.
    public var decoderUnitNorm: Bool
    /// Batches the broadcaster keeps ahead of the slowest member (memory: this × batch floats).
    public var batchesAhead: Int
    /// OpenBLAS threads while the members train (each member has its own thread already). 1 is
    /// fastest on few cores; sgemm's results depend on the thread count in the last bits, so a
    /// member equals bitwise a `saestore train` run with the same count (OPENBLAS_NUM_THREADS=1).
    public var blasThreads: Int
    /// How each member is evaluated afterwards (sae and store are filled in per member); nil =
    /// no evaluation.
    public var evaluation: EvaluationConfig?

    /// Every setting but `heldOutRows` (nil until set); the defaults are the seed's SAE (tied,
    /// 8× expansion, lr 1e-3, batch 512, 100 epochs), a 65,536-row shuffle buffer, one worker,
    /// metrics every 100 steps, 4 batches ahead and 1 BLAS thread. Checked by `validate()`.
    public init(store: String, hook: String, out: String, architecture: SAEArchitecture = .tied,
                l1Coefficients: [Double] = [], ks: [Int] = [], memberSpecs: [SweepMemberSpec]? = nil, expansionFactor: Int = 8,
                learningRate: Double = 1e-3, batchSize: Int = 512, epochs: Int = 100, seed: UInt64 = 0,
                firstRow: Int? = nil, endRow: Int? = nil, maxTokens: Int? = nil, minimumPosition: Int = 0,
                shuffleBufferRows: Int = 1 << 16, workerCount: Int = 1, logIntervalSteps: Int = 100,
                decoderUnitNorm: Bool = false, batchesAhead: Int = 4, blasThreads: Int = 1,
                evaluation: EvaluationConfig? = nil) {
        self.store = store
        self.hook = hook
        self.out = out
        self.architecture = architecture
        self.l1Coefficients = l1Coefficients
        self.ks = ks
        self.memberSpecs = memberSpecs
        self.expansionFactor = expansionFactor
        self.learningRate = learningRate
        self.batchSize = batchSize
        self.epochs = epochs
        self.seed = seed
        self.firstRow = firstRow
        self.endRow = endRow
        self.maxTokens = maxTokens
        self.minimumPosition = minimumPosition
        self.shuffleBufferRows = shuffleBufferRows
        self.workerCount = workerCount
        self.logIntervalSteps = logIntervalSteps
        self.decoderUnitNorm = decoderUnitNorm
        self.batchesAhead = batchesAhead
        self.blasThreads = blasThreads
        self.evaluation = evaluation
    }

    /// One member of the sweep: its directory name and its full settings.
    public struct Member: Sendable, Equatable {
        /// Directory name under `out`: "l1-" and λ as `%g` (e.g. "l1-0.001"), "k-" and k for
        /// topk, or the member spec's name (e.g. "batchtopk-k16").
        public var name: String
        /// The member's run.json: the sweep's store, loader and trainer settings with its own λ or k.
        public var run: TrainRunConfig
    }

    /// The members, in the order given; throws when the lists do not fit the architecture.
    public func members(dIn: Int) throws -> [Member] {
        try validate()
        let loader = StreamLoaderConfig(column: hook, firstRow: firstRow, endRow: endRow,
                                        shuffleBufferRows: shuffleBufferRows, workerCount: workerCount, seed: seed,
                                        minimumPosition: minimumPosition)
        let options = SAETrainerOptions(logIntervalSteps: logIntervalSteps, maxTokens: maxTokens)
        func sae(l1: Double, k: Int?) -> SAEConfig {
            var config = SAEConfig(architecture: architecture, dIn: dIn)
            config.expansionFactor = expansionFactor
            config.l1Coefficient = l1
            if let k { config.k = k }
            config.learningRate = learningRate
            config.batchSize = batchSize
            config.epochs = epochs
            config.seed = seed
            config.decoderUnitNorm = decoderUnitNorm
            return config
        }
        var settings: [(name: String, sae: SAEConfig, options: SAETrainerOptions)]
        if let memberSpecs, !memberSpecs.isEmpty {
            settings = memberSpecs.map { spec in
                var config = sae(l1: 0, k: nil)
                spec.apply(to: &config)
                var memberOptions = options
                if let window = spec.deadWindowTokens { memberOptions.deadFeatureWindowTokens = window }
                return (spec.name ?? spec.defaultName, config, memberOptions)
            }
        } else {
            settings = architecture.usesK
                ? ks.map { ("k-\($0)", sae(l1: l1Coefficients.first ?? 0, k: $0), options) }
                : l1Coefficients.map { ("l1-" + Self.format($0), sae(l1: $0, k: nil), options) }
        }
        return try settings.map { name, sae, options in
            do {
                try sae.validate()
            } catch {
                throw EvaluationError.invalidArgument("sweep member \(name): \(error)")
            }
            return Member(name: name, run: TrainRunConfig(store: store, loader: loader, sae: sae, trainer: options, stream: true,
                                                      heldOutRows: heldOutRows))
        }
    }

    /// Throws `EvaluationError.invalidArgument` when the sweep's axes or sizes are wrong.
    public func validate() throws {
        func check(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw EvaluationError.invalidArgument(message()) }
        }
        if let memberSpecs, !memberSpecs.isEmpty {
            try check(architecture == .tied && l1Coefficients.isEmpty && ks.isEmpty,
                      "--member gives every member its architecture and knob; leave out --arch, --l1 and --k")
            for spec in memberSpecs { try spec.check { .invalidArgument("sweep member \(spec.name ?? spec.defaultName): \($0)") } }
            let names = memberSpecs.map { $0.name ?? $0.defaultName }
            if let twice = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
                throw EvaluationError.invalidArgument("two sweep members are named \(twice); give one a name (e.g. --member \(twice.split(separator: "-").first ?? ""):…:name=other)")
            }
            return try checkShared(check)
        }
        try check(architecture != .jumprelu, "a jumprelu sweep takes its members with --member jumprelu:l0=…")
        try check(architecture != .matryoshka, "a matryoshka sweep takes its members with --member matryoshka:k=…:widths=…")
        if architecture.usesK {
            try check(!ks.isEmpty, "a \(architecture.rawValue) sweep needs --k with one or more values (e.g. --k 16,32,64)")
            try check(l1Coefficients.count <= 1, "a topk sweep varies k; give at most one --l1 value (applied to every member)")
            try check(Set(ks).count == ks.count, "--k lists a value twice")
        } else {
            try check(!l1Coefficients.isEmpty, "a sweep needs --l1 with one or more values (e.g. --l1 1e-3,3e-3,1e-2)")
            try check(ks.isEmpty, "--k applies to --arch topk only")
            try check(Set(l1Coefficients.map(Self.format)).count == l1Coefficients.count, "--l1 lists a value twice")
        }
        try check(l1Coefficients.allSatisfy { $0.isFinite && $0 >= 0 }, "--l1 values must be finite and >= 0")
        try checkShared(check)
    }

    /// The settings every member shares.
    private func checkShared(_ check: (Bool, @autoclosure () -> String) throws -> Void) throws {
        try check(batchesAhead >= 1, "batches ahead must be at least 1, got \(batchesAhead)")
        try check(blasThreads >= 1, "BLAS threads must be at least 1, got \(blasThreads)")
        try check(batchSize >= 1 && epochs >= 1, "batch and epochs must be at least 1")
        try evaluation?.validate()
    }

    /// The architecture for titles: the shared one, or the members' in order ("tied, topk, …").
    public var architectureTitle: String {
        guard let memberSpecs, !memberSpecs.isEmpty else { return architecture.rawValue }
        var names: [String] = []
        for spec in memberSpecs where !names.contains(spec.architecture.rawValue) { names.append(spec.architecture.rawValue) }
        return names.joined(separator: ", ")
    }

    /// λ as a directory name: 0.001 → "0.001", 3e-05 → "3e-05".
    static func format(_ value: Double) -> String { String(format: "%g", value) }
}
