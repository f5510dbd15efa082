import ArgumentParser
import BLASKernels

/// `saestore-bench blas-self-check` (hidden): the same child as `saestore blas-self-check`, so
/// that saestore-bench selects kernels exactly as saestore does (see `KernelStartup`).
struct BenchSelfCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: ChildSelfCheck.subcommand, abstract: "Kernel selection's self-check child.", shouldDisplay: false)

    func run() throws {
        let child = try ChildSelfCheck.childMain()
        print(child.reportJSON)
        if !child.passed { throw ExitCode(1) }
    }
}
