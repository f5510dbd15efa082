import ArgumentParser
import BLASKernels

/// `saestore blas-self-check` (hidden): the child process kernel selection starts with
/// OPENBLAS_CORETYPE set; prints a `KernelSelfCheck.Report` as JSON, exit 0 when every check passed.
struct BLASSelfCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: ChildSelfCheck.subcommand,
        abstract: "Check OpenBLAS's loaded kernels against a plain reference (used by kernel selection).",
        shouldDisplay: false)

    func run() throws {
        let child = try ChildSelfCheck.childMain()
        print(child.reportJSON)
        if !child.passed { throw ExitCode(1) }
    }
}
