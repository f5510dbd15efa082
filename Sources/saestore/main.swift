import ArgumentParser

struct SAEStore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saestore",
        abstract: "Activation store, streaming SAE trainer and feature browser for GPT-2.",
        subcommands: [TokenizeCommand.self, CorpusCommand.self])
}
SAEStore.main()
