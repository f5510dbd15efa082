/// What kernel selection decides from: all of it given, nothing read here.
public struct KernelSelectionInput: Equatable, Sendable {
    /// OPENBLAS_CORETYPE as the user set it (nil when unset or empty).
    public var coretypeVariable: String?
    /// false when the user opted out (SAESTORE_BLAS_AUTO=0).
    public var automatic: Bool
    /// The kernel set OpenBLAS loaded with (`openblas_get_corename`).
    public var openBLASCore: String
    /// What the CPU can run.
    public var cpu: CPUFeatures

    /// Every field given.
    public init(coretypeVariable: String?, automatic: Bool, openBLASCore: String, cpu: CPUFeatures) {
        self.coretypeVariable = coretypeVariable
        self.automatic = automatic
        self.openBLASCore = openBLASCore
        self.cpu = cpu
    }
}

/// A kernel set's self-check in a child process.
public enum SelfCheckOutcome: Equatable, Codable, Sendable {
    /// The child ran the kernel set asked for, every kernel within its rounding bound, and exited 0.
    case passed
    /// Why not: the child crashed (signal), timed out, ran another core, or got wrong numbers.
    case failed(String)
}

/// Where the kernel set in use came from.
public enum KernelOrigin: String, Codable, Sendable {
    /// OPENBLAS_CORETYPE was set by the user: always respected.
    case variable
    /// OpenBLAS's own choice was kept (good enough, nothing better passed, or opted out).
    case openBLAS
    /// saestore chose a better set, which passed its self-check, and re-executes with it.
    case selection
}

/// The verdict: which kernel set to run and why, with every self-check it took.
public struct KernelDecision: Codable, Equatable, Sendable {
    /// The kernel set to run with.
    public var kernelSet: String
    /// Where it came from.
    public var origin: KernelOrigin
    /// One sentence a user can read.
    public var reason: String
    /// Set when the process must re-execute itself with OPENBLAS_CORETYPE = this value.
    public var reexecCoretype: String?
    /// Self-checks run, in order (empty when none were needed).
    public var checks: [CandidateCheck]

    /// One candidate's self-check.
    public struct CandidateCheck: Codable, Equatable, Sendable {
        /// The kernel set tried.
        public var kernelSet: String
        /// What happened.
        public var outcome: SelfCheckOutcome
    }
}

/// The decision, pure: the same input and self-check answers give the same verdict.
public enum KernelSelection {
    /// Decides the kernel set. `selfCheck(core)` runs (or looks up) one candidate's self-check;
    /// it is called only for candidates better than OpenBLAS's own choice, best first, and not
    /// after the first that passes.
    public static func decide(_ input: KernelSelectionInput, selfCheck: (String) -> SelfCheckOutcome) -> KernelDecision {
        let loaded = input.openBLASCore
        let cpuLevel = input.cpu.level
        if let variable = input.coretypeVariable {
            return KernelDecision(kernelSet: loaded, origin: .variable,
                                  reason: "OPENBLAS_CORETYPE=\(variable) is set; saestore respects it", reexecCoretype: nil, checks: [])
        }
        let loadedLevel = KernelSet.level(ofCore: loaded)
        if !input.automatic {
            return KernelDecision(kernelSet: loaded, origin: .openBLAS,
                                  reason: "OpenBLAS's own choice; selection turned off (SAESTORE_BLAS_AUTO=0)", reexecCoretype: nil, checks: [])
        }
        if loadedLevel >= cpuLevel {
            return KernelDecision(kernelSet: loaded, origin: .openBLAS,
                                  reason: "OpenBLAS's own choice, which uses what the CPU supports (\(cpuLevel))", reexecCoretype: nil, checks: [])
        }
        var checks: [KernelDecision.CandidateCheck] = []
        for candidate in KernelSet.candidates(for: cpuLevel) where KernelSet.level(ofCore: candidate) > loadedLevel {
            let outcome = selfCheck(candidate)
            checks.append(.init(kernelSet: candidate, outcome: outcome))
            if outcome == .passed {
                let failed = checks.dropLast().map(\.kernelSet)
                let after = failed.isEmpty ? "" : " (\(failed.joined(separator: ", ")) failed its self-check)"
                return KernelDecision(kernelSet: candidate, origin: .selection,
                                      reason: "OpenBLAS chose \(loaded) for a CPU with \(cpuLevel); \(candidate) passed its self-check\(after)",
                                      reexecCoretype: candidate, checks: checks)
            }
        }
        let tried = checks.isEmpty ? "no better kernel set is known for it" : "\(checks.map(\.kernelSet).joined(separator: ", ")) failed the self-check"
        return KernelDecision(kernelSet: loaded, origin: .openBLAS,
                              reason: "OpenBLAS's own choice \(loaded) kept for a CPU with \(cpuLevel): \(tried)", reexecCoretype: nil, checks: checks)
    }
}
