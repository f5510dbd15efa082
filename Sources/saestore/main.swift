import ArgumentParser

struct SAEStore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saestore",
        abstract: "Activation store, streaming SAE trainer and feature browser for GPT-2.",
        subcommands: [TrainCommand.self, FeaturesCommand.self, FeatureCommand.self, InfoCommand.self, LookupCommand.self, VerifyCommand.self, ImportCommand.self, ExportCommand.self, TokenizeCommand.self])
}
SAEStore.main()
