import Foundation

/// Kernel selection for a process: reads the environment, the CPU, OpenBLAS and the verdict
/// cache, runs self-checks in child processes when it must, and says whether to re-execute.
///
/// Why re-execute: OpenBLAS reads OPENBLAS_CORETYPE once, in its load-time constructor, before
/// `main` runs, because the binary links it; setting the variable later changes nothing. The
/// other way, loading OpenBLAS with dlopen after setting the variable, would put every sgemm of
/// every module behind function pointers. `execv` of the same binary with the variable set keeps
/// the link as it is, keeps the process id (so signals, mpirun and job control are unaffected)
/// and costs one more process start.
public struct KernelSelector {
    /// The user's override: any value is respected and nothing is re-executed.
    public static let coretypeVariable = "OPENBLAS_CORETYPE"
    /// SAESTORE_BLAS_AUTO=0 turns selection off (OpenBLAS's own choice is used).
    public static let automaticVariable = "SAESTORE_BLAS_AUTO"
    /// Set, with the chosen kernel set, in the re-executed process, so it knows it was not the user's.
    public static let selectedVariable = "SAESTORE_BLAS_SELECTED"
    /// Fault injection for tests: "CORE:crash" or "CORE:wrong", comma-separated; read by the child.
    public static let faultVariable = "SAESTORE_BLAS_SELF_CHECK_FAULT"

    /// The process's environment.
    public var environment: [String: String]
    /// Where verdicts are kept.
    public var cache: KernelVerdictCache
    /// Runs one kernel set's self-check (a child process by default).
    public var selfCheck: (String) -> SelfCheckOutcome

    /// Selection for a process with `environment`; the self-checks run `executable blas-self-check`.
    public init(environment: [String: String], executable: String, cacheDirectory: String? = nil) {
        self.environment = environment
        cache = KernelVerdictCache(directory: cacheDirectory, environment: environment)
        let childEnvironment = environment
        selfCheck = { core in ChildSelfCheck.run(executable: executable, core: core, environment: childEnvironment) }
    }

    /// True in a process saestore re-executed with its chosen kernel set.
    public var isReexecuted: Bool {
        guard let selected = environment[Self.selectedVariable], !selected.isEmpty else { return false }
        return environment[Self.coretypeVariable] == selected
    }

    /// The verdict for this process. In a re-executed process it is the cached verdict that
    /// caused the re-execution, with nothing left to do.
    public func decide(openBLASCore: String = OpenBLAS.coreName, openBLASBuild: String = OpenBLAS.buildIdentity,
                       cpu: CPUFeatures = .current) -> KernelDecision {
        if isReexecuted {
            let original = environment[Self.selectedVariable].flatMap { _ in cachedSelection(cpu: cpu, build: openBLASBuild) }
            return KernelDecision(kernelSet: openBLASCore, origin: .selection,
                                  reason: original?.reason ?? "chosen by saestore's kernel selection", reexecCoretype: nil,
                                  checks: original?.checks ?? [])
        }
        let variable = environment[Self.coretypeVariable].flatMap { $0.isEmpty ? nil : $0 }
        let input = KernelSelectionInput(coretypeVariable: variable, automatic: environment[Self.automaticVariable] != "0",
                                         openBLASCore: openBLASCore, cpu: cpu)
        if input.coretypeVariable != nil || !input.automatic {
            return KernelSelection.decide(input) { _ in .failed("not run") }
        }
        let key = KernelVerdictCache.key(cpu: cpu, openBLASBuild: openBLASBuild, openBLASCore: openBLASCore)
        if let cached = cache.verdict(for: key) { return cached }
        let decision = KernelSelection.decide(input, selfCheck: selfCheck)
        if !decision.checks.isEmpty { try? cache.store(decision, for: key) }  // unwritable cache: checks rerun next time
        return decision
    }

    /// The verdict a re-executed process came from: the cache entry whose chosen set is running.
    private func cachedSelection(cpu: CPUFeatures, build: String) -> KernelDecision? {
        guard let data = FileManager.default.contents(atPath: cache.path),
              let entries = try? JSONDecoder().decode([String: KernelDecision].self, from: data) else { return nil }
        let prefix = KernelVerdictCache.key(cpu: cpu, openBLASBuild: build, openBLASCore: "")
        return entries.first { $0.key.hasPrefix(prefix) && $0.value.reexecCoretype == environment[Self.selectedVariable] }?.value
    }
}
