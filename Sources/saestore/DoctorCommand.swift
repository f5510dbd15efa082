import ArgumentParser
import BLASKernels
import Foundation

/// `saestore doctor`: what saestore runs on and how fast, and what to change when it is slow.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Show the CPU, the BLAS kernel set in use and why, BLAS threads and the measured sgemm rate.",
        discussion: """
            When OPENBLAS_CORETYPE is unset and OpenBLAS picked kernels below what the CPU supports (a CPU \
            it cannot identify gets its SSE3 "Prescott" kernels), saestore checks better kernel sets in a \
            child process once per machine and re-executes itself with the best that passes. A set \
            OPENBLAS_CORETYPE is always respected; SAESTORE_BLAS_AUTO=0 turns the selection off. \
            doctor warns when the kernels in use are below what the CPU supports (docs/PERFORMANCE.md).
            """)

    @Flag(help: "Print the report as JSON.") var json = false
    @Option(help: "Seconds spent measuring sgemm (0: skip).") var sgemmSeconds = 0.5

    struct Report: Codable {
        var cpu: CPUFeatures
        var cpuLevel: String
        var cpuFeatures: [String]
        var openBLASConfiguration: String
        var kernelSet: String
        var kernelLevel: String
        var origin: KernelOrigin
        var reason: String
        var reexecuted: Bool
        var checks: [KernelDecision.CandidateCheck]
        var coretypeVariable: String?
        var threads: Int
        var sgemm: SgemmRate.Measurement?
        var cacheFile: String
        var warnings: [String]

        enum CodingKeys: String, CodingKey {
            case cpu, cpuLevel = "cpu_level", cpuFeatures = "cpu_features", openBLASConfiguration = "openblas_config"
            case kernelSet = "kernel_set", kernelLevel = "kernel_level", origin, reason, reexecuted, checks
            case coretypeVariable = "openblas_coretype", threads, sgemm, cacheFile = "cache_file", warnings
        }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let selector = KernelSelector(environment: environment, executable: KernelStartup.currentExecutable())
        let decision = selector.decide()
        let cpu = CPUFeatures.current
        let kernelLevel = KernelSet.level(ofCore: decision.kernelSet)
        var warnings: [String] = []
        if kernelLevel < cpu.level {
            let best = KernelSet.candidates(for: cpu.level).first ?? decision.kernelSet
            let cause: String
            switch decision.origin {
            case .variable: cause = "OPENBLAS_CORETYPE=\(environment[KernelSelector.coretypeVariable] ?? "") forces them; unset it to let saestore choose, or set OPENBLAS_CORETYPE=\(best)"
            case .openBLAS where environment[KernelSelector.automaticVariable] == "0": cause = "SAESTORE_BLAS_AUTO=0 keeps OpenBLAS's own choice; unset it to let saestore choose"
            case .openBLAS, .selection: cause = decision.reason
            }
            warnings.append("the BLAS kernels in use (\(decision.kernelSet), \(kernelLevel)) are below what this CPU supports (\(cpu.level)): "
                            + "sgemm-heavy work (ingest, training) runs 2-4x slower. \(cause)")
        }
        let report = Report(cpu: cpu, cpuLevel: cpu.level.description, cpuFeatures: cpu.featureNames,
                            openBLASConfiguration: OpenBLAS.configuration, kernelSet: decision.kernelSet,
                            kernelLevel: kernelLevel.description, origin: decision.origin, reason: decision.reason,
                            reexecuted: selector.isReexecuted, checks: decision.checks,
                            coretypeVariable: environment[KernelSelector.coretypeVariable], threads: OpenBLAS.threadCount,
                            sgemm: sgemmSeconds > 0 ? SgemmRate.measure(seconds: sgemmSeconds) : nil,
                            cacheFile: selector.cache.path, warnings: warnings)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        let origin = ["variable": "set by OPENBLAS_CORETYPE", "openBLAS": "OpenBLAS's own choice", "selection": "chosen by saestore"]
        print("CPU        \(cpu.brand.isEmpty ? "unknown" : cpu.brand) (\(cpu.vendor), \(cpu.familyModelStepping))")
        print("features   \(cpu.featureNames.joined(separator: " ")); usable: \(cpu.level)")
        print("OpenBLAS   \(report.openBLASConfiguration)")
        print("kernels    \(decision.kernelSet) (\(kernelLevel)), \(origin[decision.origin.rawValue]!): \(decision.reason)")
        for check in decision.checks {
            switch check.outcome {
            case .passed: print("  self-check \(check.kernelSet): passed")
            case .failed(let why): print("  self-check \(check.kernelSet): failed: \(why)")
            }
        }
        print("threads    \(report.threads)")
        if let sgemm = report.sgemm {
            print(String(format: "sgemm      %.1f GFLOP/s (%dx%dx%d, best of %d calls)", sgemm.bestGigaflopsPerSecond,
                         sgemm.m, sgemm.n, sgemm.k, sgemm.calls))
        }
        print("cache      \(report.cacheFile)")
        for warning in warnings { print("warning: \(warning)") }
    }
}
