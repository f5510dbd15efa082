import ArgumentParser
import BLASKernels

struct SAEStore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saestore",
        abstract: "Activation store, streaming SAE trainer and feature browser for decoder language models (GPT-2, Pythia, Llama family, Gemma 2).",
        subcommands: [
            QuickstartCommand.self,
            IngestCommand.self,
            TrainCommand.self,
            FeaturesCommand.self,
            FeatureCommand.self,
            LookupCommand.self,
            ServeCommand.self,
            InfoCommand.self,
            VerifyCommand.self,
            ShardsCommand.self,
            ImportCommand.self,
            ExportCommand.self,
            TokenizeCommand.self,
            TrainingTokensCommand.self,
            CorpusCommand.self,
            EvaluateCommand.self,
            SweepCommand.self,
            DoctorCommand.self,
            BLASSelfCheckCommand.self,
        ])
}
// Before anything else: this may re-execute the process with better BLAS kernels.
KernelStartup.apply()
SAEStore.main()
