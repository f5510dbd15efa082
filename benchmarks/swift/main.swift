import ArgumentParser
import BLASKernels

/// Swift half of the side-by-side benchmarks in benchmarks/; each subcommand prints JSON lines.
struct SAEStoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saestore-bench",
        abstract: "Benchmarks for saestore (driven by benchmarks/*/run.sh).",
        subcommands: [ForwardBench.self, LlamaForwardBench.self, NeoXForwardBench.self, Gemma2ForwardBench.self, SgemmBench.self, StoreBench.self, LookupBench.self, SparseBench.self,
                      TrainBench.self, ShuffleBench.self, ScanFoldBench.self,
                      AllreduceBench.self, BatchesBench.self, ScaleBench.self, BenchSelfCheck.self])
}
// As saestore does: a benchmark's "unset" setting runs the kernels a user's saestore would pick.
KernelStartup.apply()
SAEStoreBench.main()
