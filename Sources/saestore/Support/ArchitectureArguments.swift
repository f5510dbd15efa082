import ArgumentParser
import StreamTrain

/// `train`'s options for the architectures after the seed (jumprelu, batchtopk), AuxK and the
/// schedules; each left unset keeps SAELens' default (`SAEConfig`, `TrainingSchedule`).
struct ArchitectureArguments: ParsableArguments {
    @Option(help: "jumprelu: weight of the sparsity term (SAELens l0_coefficient; default 1).")
    var l0: Double?
    @Option(help: "jumprelu: sparsity term, step (L0, default) or tanh.")
    var jumpreluLoss: String?
    @Option(help: "jumprelu: kernel width of the threshold's straight-through estimator (default 0.05).")
    var jumpreluBandwidth: Double?
    @Option(help: "jumprelu: every threshold at init (default 0.01).")
    var jumpreluInitThreshold: Double?
    @Option(help: "jumprelu, tanh loss: c in tanh(c·f·‖W_dec[j]‖) (default 4).")
    var jumpreluTanhScale: Double?
    // Spaces as well as commas, so scripts/frontier.sh (commas for spaces in its members) can pass it.
    @Option(parsing: .upToNextOption, help: "matryoshka: the nested prefix widths, e.g. 128,512,2048 or 128 512 2048 (strictly increasing; the full width is appended when the last is smaller, as SAELens does). Required with --arch matryoshka.")
    var matryoshkaWidths: [String] = []
    @Option(help: "batchtopk/matryoshka: weight of each batch's smallest kept activation in the inference threshold (default 0.01).")
    var topkThresholdLr: Double?
    @Option(help: "topk/batchtopk: weight of the AuxK dead-latent loss (default 0: off; SAELens uses 1, Gao et al. 1/32). Dead = no firing within --dead-window-tokens rows.")
    var auxk: Double?
    @Option(help: "AuxK: dead latents each row reconstructs with (default d_in/2).")
    var auxkLatents: Int?
    @Option(help: "Linear learning-rate warm-up over this many steps (default 0).")
    var lrWarmupSteps = 0
    @Option(help: "Learning rate after warm-up: constant (default) or cosine (to --lr-end over the run).")
    var lrScheduler = "constant"
    @Option(help: "Linear decay to 0 over the last N steps (default 0), from --lr-end (cosine) or --lr (constant).")
    var lrDecaySteps = 0
    @Option(help: "Learning rate the cosine ends at and the decay starts from (default 0).")
    var lrEnd = 0.0
    @Option(help: "Linear warm-up of the sparsity coefficient (--l1, or --l0 for jumprelu) over N steps (default 0).")
    var sparsityWarmupSteps = 0
    @Option(help: "topk/batchtopk: start at this k and anneal linearly to --k over --k-anneal-steps.")
    var kStart: Int?
    @Option(help: "Steps of the k annealing (with --k-start).")
    var kAnnealSteps = 0
    @Option(help: "tied/standard/gated: every STEPS steps, re-initialise the latents dead over --dead-window-tokens rows from high-loss rows of the batch (Anthropic 2023; default off).")
    var resampleEvery: Int?
    @Option(help: "Where b_dec starts: zeros (default), mean, or geometric-median (Weiszfeld) of the first --b-dec-init-rows training rows.")
    var bDecInit = "zeros"
    @Option(help: "Rows sampled for --b-dec-init (default 16384).")
    var bDecInitRows: Int?

    /// Writes the given options into `config` (`totalSteps`: the run's step count, which the
    /// cosine and the decay need); throws when one does not apply to its architecture.
    func apply(to config: inout SAEConfig, totalSteps: Int) throws {
        guard let scheduler = LearningRateScheduler(rawValue: lrScheduler) else {
            throw ValidationError("--lr-scheduler must be constant or cosine, not \(lrScheduler)")
        }
        var schedule = TrainingSchedule()
        schedule.warmupSteps = lrWarmupSteps
        schedule.scheduler = scheduler
        schedule.decaySteps = lrDecaySteps
        schedule.endLearningRate = lrEnd
        schedule.sparsityWarmupSteps = sparsityWarmupSteps
        schedule.kStart = kStart
        schedule.kAnnealSteps = kAnnealSteps
        if scheduler == .cosine || lrDecaySteps > 0 { schedule.totalSteps = totalSteps }
        config.schedule = schedule
        let jumpReLUOptions: [(String, Bool)] = [
            ("--l0", l0 != nil), ("--jumprelu-loss", jumpreluLoss != nil), ("--jumprelu-bandwidth", jumpreluBandwidth != nil),
            ("--jumprelu-init-threshold", jumpreluInitThreshold != nil), ("--jumprelu-tanh-scale", jumpreluTanhScale != nil),
        ]
        if config.architecture != .jumprelu, let given = jumpReLUOptions.first(where: \.1) {
            throw ValidationError("\(given.0) applies to --arch jumprelu only")
        }
        if !config.architecture.usesBatchTopK, topkThresholdLr != nil {
            throw ValidationError("--topk-threshold-lr applies to --arch batchtopk or matryoshka only")
        }
        if !matryoshkaWidths.isEmpty {
            guard config.architecture == .matryoshka else {
                throw ValidationError("--matryoshka-widths applies to --arch matryoshka only")
            }
            let widths = matryoshkaWidths.flatMap { $0.split(separator: ",") }.map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !widths.isEmpty, widths.allSatisfy({ $0 != nil }) else {
                throw ValidationError("--matryoshka-widths must be comma-separated latent counts, e.g. 128,512,2048, not \(matryoshkaWidths.joined(separator: " "))")
            }
            config.matryoshkaWidths = widths.map { $0! }
        } else if config.architecture == .matryoshka {
            throw ValidationError("--arch matryoshka needs --matryoshka-widths (e.g. 128,512,\(config.latentCount); docs/SAE.md)")
        }
        if !config.architecture.usesK, auxk != nil || auxkLatents != nil {
            throw ValidationError("--auxk and --auxk-latents apply to --arch topk or batchtopk only")
        }
        if let resampleEvery {
            guard [.tied, .standard, .gated].contains(config.architecture) else {
                throw ValidationError("--resample-every applies to --arch tied, standard or gated only (the TopK family has --auxk)")
            }
            config.resampleEverySteps = resampleEvery
        }
        guard let bDecInitMethod = DecoderBiasInit(rawValue: bDecInit.replacingOccurrences(of: "-", with: "_")) else {
            throw ValidationError("--b-dec-init must be zeros, mean or geometric-median, not \(bDecInit)")
        }
        config.bDecInit = bDecInitMethod
        if let bDecInitRows { config.bDecInitRowCount = bDecInitRows }
        if let auxk { config.auxKCoefficient = auxk }
        if let auxkLatents { config.auxKLatentCount = auxkLatents }
        if let l0 { config.l0Coefficient = l0 }
        if let jumpreluLoss {
            guard let loss = JumpReLUSparsityLoss(rawValue: jumpreluLoss) else {
                throw ValidationError("--jumprelu-loss must be step or tanh, not \(jumpreluLoss)")
            }
            config.jumpReLUSparsityLoss = loss
        }
        if let jumpreluBandwidth { config.jumpReLUBandwidth = jumpreluBandwidth }
        if let jumpreluInitThreshold { config.jumpReLUInitialThreshold = jumpreluInitThreshold }
        if let jumpreluTanhScale { config.jumpReLUTanhScale = jumpreluTanhScale }
        if let topkThresholdLr { config.topkThresholdLearningRate = topkThresholdLr }
    }
}
