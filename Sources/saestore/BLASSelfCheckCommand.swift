import ArgumentParser
import BLASKernels
import Foundation

/// `saestore blas-self-check` (hidden): the child process kernel selection starts with
/// OPENBLAS_CORETYPE set; prints a `KernelSelfCheck.Report` as JSON, exit 0 when every check passed.
struct BLASSelfCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blas-self-check", abstract: "Check OpenBLAS's loaded kernels against a plain reference (used by kernel selection).",
        shouldDisplay: false)

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let fault = ChildSelfCheck.injectedFault(core: OpenBLAS.coreName, environment: environment)
        if fault == .crash {
            // As a kernel with an instruction the CPU lacks would end: SIGILL, default action (the
            // Swift runtime's backtrace handler would otherwise catch a raised signal and return).
            signal(SIGILL, SIG_DFL)
            raise(SIGILL)
        }
        let report = KernelSelfCheck.run(corrupt: fault == .wrong)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
        if !report.passed { throw ExitCode(1) }
    }
}
