import Foundation

/// The main phase of the learning-rate schedule (SAELens `lr_scheduler_name`).
public enum LearningRateScheduler: String, Codable, Sendable, CaseIterable {
    /// The base learning rate.
    case constant
    /// Cosine from the base rate to `endLearningRate` over the main phase (SAELens "cosineannealing").
    case cosine
}

/// Per-step values of the learning rate, the sparsity coefficient and TopK's k, as closed forms
/// of the 0-based step index t (SAELens' `get_lr_scheduler` and `CoefficientScheduler`; k
/// annealing is saestore's). With every field at its default nothing changes over a run.
public struct TrainingSchedule: Codable, Equatable, Sendable {
    /// Linear warm-up steps W: lr·(t+1)/W for t < W (SAELens `lr_warm_up_steps`).
    public var warmupSteps: Int = 0
    /// The phase after warm-up.
    public var scheduler: LearningRateScheduler = .constant
    /// Final linear decay steps D, from `endLearningRate` (constant: the base rate) to 0 over
    /// the last D steps of `totalSteps` (SAELens `lr_decay_steps`).
    public var decaySteps: Int = 0
    /// Learning rate the cosine phase ends at and the decay starts from (SAELens `lr_end`;
    /// absolute, parameter units per step).
    public var endLearningRate: Double = 0
    /// Steps of the whole run T (needed by cosine and decay; `train` sets it from its budget).
    public var totalSteps: Int?
    /// Linear warm-up of the sparsity coefficient (λ of L1, jumprelu's L0): λ·min(1, (t+1)/S)
    /// (SAELens `l1_warm_up_steps`/`l0_warm_up_steps`).
    public var sparsityWarmupSteps: Int = 0
    /// TopK/BatchTopK: k at step 0 when annealing; k falls linearly to the config's k over
    /// `kAnnealSteps` (rounded to the nearest count). nil: no annealing.
    public var kStart: Int?
    /// Steps of the k annealing.
    public var kAnnealSteps: Int = 0

    /// No warm-up, no decay, no annealing.
    public init() {}

    private enum CodingKeys: String, CodingKey {
        case warmupSteps, scheduler, decaySteps, endLearningRate, totalSteps, sparsityWarmupSteps, kStart, kAnnealSteps
    }

    /// Every key optional: a config that leaves one out takes its default.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        warmupSteps = try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? 0
        scheduler = try c.decodeIfPresent(LearningRateScheduler.self, forKey: .scheduler) ?? .constant
        decaySteps = try c.decodeIfPresent(Int.self, forKey: .decaySteps) ?? 0
        endLearningRate = try c.decodeIfPresent(Double.self, forKey: .endLearningRate) ?? 0
        totalSteps = try c.decodeIfPresent(Int.self, forKey: .totalSteps)
        sparsityWarmupSteps = try c.decodeIfPresent(Int.self, forKey: .sparsityWarmupSteps) ?? 0
        kStart = try c.decodeIfPresent(Int.self, forKey: .kStart)
        kAnnealSteps = try c.decodeIfPresent(Int.self, forKey: .kAnnealSteps) ?? 0
    }

    /// Whether anything varies over the run.
    public var isConstant: Bool {
        warmupSteps == 0 && scheduler == .constant && decaySteps == 0 && sparsityWarmupSteps == 0 && kStart == nil
    }

    /// The learning rate of step t (0-based) for base rate `lr`.
    public func learningRate(step t: Int, base lr: Double) -> Double {
        let W = warmupSteps, D = decaySteps
        if t < W { return lr * Double(t + 1) / Double(W) }
        let T = totalSteps ?? Int.max
        if D > 0, t >= T - D {
            let start = scheduler == .constant ? lr : endLearningRate
            return start * (1 - Double(t - (T - D)) / Double(D))
        }
        switch scheduler {
        case .constant:
            return lr
        case .cosine:
            let M = max(1, T - W - D)
            let p = min(Double(t - W) / Double(M), 1)
            return endLearningRate + (lr - endLearningRate) * (1 + cos(Double.pi * p)) / 2
        }
    }

    /// The sparsity coefficient of step t for final value `lambda`.
    public func sparsityCoefficient(step t: Int, final lambda: Double) -> Double {
        sparsityWarmupSteps > 0 && t < sparsityWarmupSteps ? lambda * Double(t + 1) / Double(sparsityWarmupSteps) : lambda
    }

    /// TopK's k at step t for final value `k`.
    public func k(step t: Int, final k: Int) -> Int {
        guard let kStart, kAnnealSteps > 0, t < kAnnealSteps else { return k }
        return Int((Double(kStart) + Double(k - kStart) * Double(t) / Double(kAnnealSteps)).rounded())
    }

    /// Throws `SAEConfigError` naming the first field out of range.
    func validate(k: Int, latentCount: Int, usesK: Bool) throws {
        func check(_ ok: Bool, _ field: String, _ value: Any, _ expected: String) throws {
            if !ok { throw SAEConfigError(field: "schedule.\(field)", value: "\(value)", expected: expected) }
        }
        try check(warmupSteps >= 0, "warmupSteps", warmupSteps, "a step count >= 0")
        try check(decaySteps >= 0, "decaySteps", decaySteps, "a step count >= 0")
        try check(endLearningRate.isFinite && endLearningRate >= 0, "endLearningRate", endLearningRate, "a finite value >= 0")
        let needsTotal = scheduler == .cosine || decaySteps > 0
        try check(!needsTotal || totalSteps != nil, "totalSteps", "nil", "the run's step count (cosine or decay needs it)")
        if let totalSteps {
            try check(totalSteps > warmupSteps + decaySteps, "totalSteps", totalSteps,
                      "more than warmupSteps + decaySteps (\(warmupSteps + decaySteps))")
        }
        try check(!(decaySteps > 0 && scheduler == .cosine && endLearningRate == 0), "endLearningRate", 0,
                  "> 0 with cosine and decay (the decay would run from 0 to 0)")
        try check(sparsityWarmupSteps >= 0, "sparsityWarmupSteps", sparsityWarmupSteps, "a step count >= 0")
        if let kStart {
            try check(usesK, "kStart", kStart, "nil unless the architecture is topk or batchtopk")
            try check(kStart >= k && kStart <= latentCount, "kStart", kStart, "\(k)...\(latentCount) (k up to the latent count)")
            try check(kAnnealSteps > 0, "kAnnealSteps", kAnnealSteps, "a positive step count with kStart")
        }
    }
}
