import BLASKernels
import Foundation
import XCTest

/// `saestore doctor` and kernel selection as the binary applies them: the child self-check,
/// the re-exec, the respected variable, the cache.
final class DoctorCommandTests: XCTestCase {
    struct Report: Decodable {
        var kernel_set: String
        var kernel_level: String
        var cpu_level: String
        var origin: String
        var reason: String
        var reexecuted: Bool
        var checks: [KernelDecision.CandidateCheck]
        var threads: Int
        var cache_file: String
        var warnings: [String]
    }

    /// The test process's environment without anything that steers kernel selection.
    func cleanEnvironment(cache: String) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in [KernelSelector.coretypeVariable, KernelSelector.automaticVariable, KernelSelector.selectedVariable,
                     KernelSelector.faultVariable] { environment[name] = nil }
        environment["XDG_CACHE_HOME"] = cache
        return environment
    }

    func doctor(_ environment: [String: String]) throws -> Report {
        let run = try saestore(["doctor", "--json", "--sgemm-seconds", "0"], environment: environment)
        XCTAssertEqual(run.status, 0, run.stderr)
        return try JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8))
    }

    /// A set OPENBLAS_CORETYPE is what runs: no self-check, no cache, no re-exec, and a warning
    /// when it is below what the CPU supports.
    func testSetVariableIsRespectedAndNeverReexecutes() throws {
        let cache = temporaryPath(self, "cache")
        var environment = cleanEnvironment(cache: cache)
        environment[KernelSelector.coretypeVariable] = "Prescott"
        let report = try doctor(environment)
        XCTAssertEqual(report.kernel_set, "Prescott")
        XCTAssertEqual(report.origin, "variable")
        XCTAssertFalse(report.reexecuted)
        XCTAssertEqual(report.checks.count, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache), "a set variable must not run the selection")
        if CPUFeatures.current.level > .sse {
            XCTAssertEqual(report.warnings.count, 1)
            XCTAssertTrue(report.warnings[0].contains("OPENBLAS_CORETYPE=Prescott forces them"), report.warnings[0])
        }
    }

    /// Unset: the kernel set in use is OpenBLAS's own or the first candidate that passed its
    /// self-check, the process re-executed exactly when it switched, and a second run reads the
    /// cached verdict.
    func testUnsetVariableSelectsAPassingKernelSetAndCachesIt() throws {
        let cache = temporaryPath(self, "cache")
        let environment = cleanEnvironment(cache: cache)
        let first = try doctor(environment)
        XCTAssertEqual(first.reexecuted, first.origin == "selection")
        if first.origin == "selection" {
            XCTAssertEqual(first.checks.first { $0.outcome == .passed }?.kernelSet, first.kernel_set)
            XCTAssertTrue(first.checks.dropLast().allSatisfy { $0.outcome != .passed }, "candidates are tried best first until one passes")
            XCTAssertTrue(FileManager.default.fileExists(atPath: first.cache_file))
        } else {
            XCTAssertEqual(first.origin, "openBLAS")
            XCTAssertTrue(first.checks.allSatisfy { $0.outcome != .passed }, first.reason)
        }
        let cached = try? Data(contentsOf: URL(fileURLWithPath: first.cache_file))
        let second = try doctor(environment)
        XCTAssertEqual(second.kernel_set, first.kernel_set)
        XCTAssertEqual(second.reason, first.reason)
        XCTAssertEqual(try? Data(contentsOf: URL(fileURLWithPath: first.cache_file)), cached, "the second run must only read the cache")

        var optOut = environment
        optOut[KernelSelector.automaticVariable] = "0"
        let kept = try doctor(optOut)
        XCTAssertEqual(kept.origin, "openBLAS")
        XCTAssertFalse(kept.reexecuted)
    }

    /// The child self-check really runs the kernels: passes plain, and an injected crash or wrong
    /// result in the child is a failure with its reason while this process carries on.
    func testChildSelfCheckReportsInjectedFaults() throws {
        let executable = try saestoreExecutable()
        let environment = cleanEnvironment(cache: temporaryPath(self, "cache"))
        XCTAssertEqual(ChildSelfCheck.run(executable: executable, core: "Prescott", environment: environment), .passed)
        var crashing = environment
        crashing[KernelSelector.faultVariable] = "Prescott:crash"
        XCTAssertEqual(ChildSelfCheck.run(executable: executable, core: "Prescott", environment: crashing),
                       .failed("the self-check with Prescott crashed (signal 4)"))
        var wrong = environment
        wrong[KernelSelector.faultVariable] = "Prescott:wrong"
        guard case .failed(let why) = ChildSelfCheck.run(executable: executable, core: "Prescott", environment: wrong) else {
            return XCTFail("a wrong result passed")
        }
        XCTAssertTrue(why.contains("sgemm NN 19x2304x768") && why.contains("rounding bound"), why)
    }

    /// A candidate whose child crashes falls back to the next, with real child processes: the
    /// decision for an unidentified AVX-512 CPU when SkylakeX's child crashes.
    func testCrashingCandidateFallsBack() throws {
        let executable = try saestoreExecutable()
        var environment = cleanEnvironment(cache: temporaryPath(self, "cache"))
        environment[KernelSelector.faultVariable] = "SkylakeX:crash"
        let avx512 = CPUFeatures(avx: true, avx2: true, fma: true, avx512f: true, avx512bw: true, avx512dq: true, avx512vl: true,
                                 osSavesYMM: true, osSavesZMM: true)
        let decision = KernelSelection.decide(
            KernelSelectionInput(coretypeVariable: nil, automatic: true, openBLASCore: "Prescott", cpu: avx512)
        ) { core in ChildSelfCheck.run(executable: executable, core: core, environment: environment) }
        XCTAssertEqual(decision.checks.first?.kernelSet, "SkylakeX")
        XCTAssertEqual(decision.checks.first?.outcome, .failed("the self-check with SkylakeX crashed (signal 4)"))
        // Haswell's child really runs Haswell kernels: they pass wherever the CPU has AVX2+FMA.
        XCTAssertEqual(decision.kernelSet, CPUFeatures.current.level >= .avx2 ? "Haswell" : "Prescott", decision.reason)
    }
}
