import Foundation

/// One kernel set's self-check in a child process: `executable blas-self-check` with
/// OPENBLAS_CORETYPE set, answering a `KernelSelfCheck.Report` as JSON on stdout.
public enum ChildSelfCheck {
    /// The hidden subcommand every executable that selects kernels answers with `childMain()`.
    public static let subcommand = "blas-self-check"

    /// Seconds a child may take before it counts as hung and is killed.
    public static let timeoutSeconds = 120.0

    /// Runs the child and reads its verdict; every way it can go wrong is a failure with its reason.
    public static func run(executable: String, core: String, environment: [String: String]) -> SelfCheckOutcome {
        var childEnvironment = environment
        childEnvironment[KernelSelector.coretypeVariable] = core
        childEnvironment[KernelSelector.automaticVariable] = "0"  // the child must not select (or re-execute) itself
        childEnvironment[KernelSelector.selectedVariable] = nil
        childEnvironment["SWIFT_BACKTRACE"] = "enable=no"  // a crash is an answer here, not a bug report
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [subcommand]
        process.environment = childEnvironment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return .failed("could not start \(executable): \(error)") }
        let timer = DispatchWorkItem { if process.isRunning { process.terminate(); kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds, execute: timer)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        timer.cancel()
        return outcome(core: core, reason: process.terminationReason, status: process.terminationStatus, stdout: data)
    }

    /// The verdict from how the child ended and what it printed.
    static func outcome(core: String, reason: Process.TerminationReason, status: Int32, stdout: Data) -> SelfCheckOutcome {
        if reason == .uncaughtSignal {
            let name = status == SIGKILL ? "killed after \(Int(timeoutSeconds)) s without an answer" : "crashed (signal \(status))"
            return .failed("the self-check with \(core) \(name)")
        }
        guard let report = try? JSONDecoder().decode(KernelSelfCheck.Report.self, from: stdout) else {
            return .failed("the self-check with \(core) exited with status \(status) and no report")
        }
        guard report.coreName.lowercased() == core.lowercased() else {
            return .failed("OpenBLAS ran \(report.coreName) when asked for \(core)")
        }
        if let bad = report.results.first(where: { !$0.passed }) {
            return .failed("\(bad.name) on \(core): error \(String(format: "%.3g", bad.worstErrorOverBound))x the rounding bound")
        }
        return status == 0 ? .passed : .failed("the self-check with \(core) passed but exited with status \(status)")
    }

    /// The child's whole job: the self-check on the kernels this process loaded (faking the fault a
    /// test injected), as the JSON report the parent reads and whether every check passed. The
    /// caller prints the report and exits non-zero when it failed.
    public static func childMain() throws -> (reportJSON: String, passed: Bool) {
        let fault = injectedFault(core: OpenBLAS.coreName, environment: ProcessInfo.processInfo.environment)
        if fault == .crash {
            // As a kernel with an instruction the CPU lacks would end: SIGILL, default action (the
            // Swift runtime's backtrace handler would otherwise catch a raised signal and return).
            signal(SIGILL, SIG_DFL)
            raise(SIGILL)
        }
        let report = KernelSelfCheck.run(corrupt: fault == .wrong)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (String(decoding: try encoder.encode(report), as: UTF8.self), report.passed)
    }

    /// The fault a test asked the child for `core` to fake, from `KernelSelector.faultVariable`.
    public static func injectedFault(core: String, environment: [String: String]) -> InjectedFault? {
        for entry in (environment[KernelSelector.faultVariable] ?? "").split(separator: ",") {
            let parts = entry.split(separator: ":").map(String.init)
            guard parts.count == 2, parts[0].lowercased() == core.lowercased() else { continue }
            return InjectedFault(rawValue: parts[1])
        }
        return nil
    }

    /// Faults a test can inject into the child.
    public enum InjectedFault: String, Sendable {
        /// The child dies of SIGILL, as a kernel with instructions the CPU lacks would.
        case crash
        /// One sgemm output is perturbed before the comparison.
        case wrong
    }
}
