import ArgumentParser
import StreamTrain

/// `train`'s options for the architectures after the seed (jumprelu, batchtopk); each left
/// unset keeps SAELens' default (`SAEConfig`).
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
    @Option(help: "batchtopk: weight of each batch's smallest kept activation in the inference threshold (default 0.01).")
    var topkThresholdLr: Double?
    @Option(help: "topk/batchtopk: weight of the AuxK dead-latent loss (default 0: off; SAELens uses 1, Gao et al. 1/32). Dead = no firing within --dead-window-tokens rows.")
    var auxk: Double?
    @Option(help: "AuxK: dead latents each row reconstructs with (default d_in/2).")
    var auxkLatents: Int?

    /// Writes the given options into `config`; throws when one does not apply to its architecture.
    func apply(to config: inout SAEConfig) throws {
        let jumpReLUOptions: [(String, Bool)] = [
            ("--l0", l0 != nil), ("--jumprelu-loss", jumpreluLoss != nil), ("--jumprelu-bandwidth", jumpreluBandwidth != nil),
            ("--jumprelu-init-threshold", jumpreluInitThreshold != nil), ("--jumprelu-tanh-scale", jumpreluTanhScale != nil),
        ]
        if config.architecture != .jumprelu, let given = jumpReLUOptions.first(where: \.1) {
            throw ValidationError("\(given.0) applies to --arch jumprelu only")
        }
        if config.architecture != .batchtopk, topkThresholdLr != nil {
            throw ValidationError("--topk-threshold-lr applies to --arch batchtopk only")
        }
        if !config.architecture.usesK, auxk != nil || auxkLatents != nil {
            throw ValidationError("--auxk and --auxk-latents apply to --arch topk or batchtopk only")
        }
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
