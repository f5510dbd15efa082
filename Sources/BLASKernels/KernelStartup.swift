import Foundation

/// Applies kernel selection before any command runs: when the verdict is a better kernel set
/// than the one OpenBLAS loaded with, the process re-executes itself with OPENBLAS_CORETYPE set
/// (see `KernelSelector` for why a re-exec). A set OPENBLAS_CORETYPE, SAESTORE_BLAS_AUTO=0 and
/// the self-check child itself never re-execute. Every executable that runs BLAS work for a user
/// (`saestore`, and `saestore-bench` so that a benchmark's "unset" is what a user gets) calls
/// this first and offers `ChildSelfCheck.subcommand` as a hidden subcommand.
public enum KernelStartup {
    /// Decides, and re-executes this process with the chosen OPENBLAS_CORETYPE when that is a
    /// better set than the loaded one; returns otherwise (and when execv fails).
    public static func apply() {
        let arguments = CommandLine.arguments
        if arguments.count > 1 && arguments[1] == ChildSelfCheck.subcommand { return }
        let executable = currentExecutable()
        let decision = KernelSelector(environment: ProcessInfo.processInfo.environment, executable: executable).decide()
        guard let core = decision.reexecCoretype else { return }
        setenv(KernelSelector.coretypeVariable, core, 1)
        setenv(KernelSelector.selectedVariable, core, 1)
        execv(executable, CommandLine.unsafeArgv)
        // Only reached when execv failed: carry on with the kernels already loaded; `doctor` shows them.
        unsetenv(KernelSelector.coretypeVariable)
        unsetenv(KernelSelector.selectedVariable)
    }

    /// This binary's path: /proc/self/exe on Linux (right even when started through $PATH).
    public static func currentExecutable() -> String {
        if FileManager.default.isExecutableFile(atPath: "/proc/self/exe") { return "/proc/self/exe" }
        return Bundle.main.executablePath ?? CommandLine.arguments[0]
    }
}
