/// The process-wide default for the SAE kernels' threads when a trainer's options leave
/// `kernelThreadCount` unset. Not part of a run's saved options: it describes the machine, not
/// the run, so a run resumed on another rank count (another share of the cores) still matches.
public enum KernelThreading {
    /// nil: one thread per core. Under mpirun the CLI sets a rank's share of its machine's cores.
    nonisolated(unsafe) public static var defaultThreadCount: Int?
}
