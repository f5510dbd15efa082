import ActStore
import ArgumentParser
import Extract
import FeatureAnalysis
import Foundation

/// `saestore training-tokens`: the token ids a model saw in training, for `features` to leave
/// the never-seen ones out of the logit effects.
struct TrainingTokensCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "training-tokens",
        abstract: "Record which token ids occur in a model's training text (training_tokens.json), for the logit effects.",
        discussion: """
            Tokenizes --corpus files with --model's tokenizer (as ingest does, BOS not added), or reads the \
            token_id column of a store ingested from the training text (--store; BOS rows skipped unless \
            --include-bos), and writes the distinct ids to --out. Put the file beside the model's config.json \
            as training_tokens.json, or pass it to `features --training-tokens`: tokens that never occur are \
            then left out of each feature's promoted and suppressed tokens, since their unembedding rows \
            never got a gradient as a target. docs/FEATURES.md has the details.
            """)

    @Option(help: "Model directory or hub id: its tokenizer reads --corpus.") var model: String?
    @Option(parsing: .upToNextOption, help: "Training text (.txt, .jsonl, .jsonl.zst, .jsonl.gz); several files count together.") var corpus: [String] = []
    @OptionGroup var corpusArguments: CorpusArguments
    @Option(help: "A store ingested from the training text, instead of --corpus.") var store: String?
    @Flag(help: "--store: count position-0 rows (BOS) too.") var includeBos = false
    @Option(help: "What the ids were counted on, recorded in the file (default: the paths read).") var source: String?
    @Option(help: "Output file (e.g. MODEL/training_tokens.json).") var out: String
    @Flag(help: "No progress display.") var quiet = false
    @Flag(help: "Print the summary as JSON.") var json = false

    struct Summary: Encodable {
        var out: String
        var source: String
        var tokensCounted: Int
        var distinctTokens: Int
        var badLines: Int
    }

    func validate() throws {
        if corpus.isEmpty == (store == nil) { throw ValidationError("Give --corpus FILE… or --store S (one of them).") }
        if !corpus.isEmpty && model == nil { throw ValidationError("--corpus needs --model, whose tokenizer reads it.") }
    }

    func run() throws {
        var tokens: TrainingTokens
        var badLines = 0
        if let store {
            let reader = try openStore(at: store)
            let bar = Progress("count", unit: "chunks", quiet: quiet || json)
            tokens = try TrainingTokens.count(store: reader, includePositionZero: includeBos) { done, total in bar.update(done, of: total) }
            bar.finish()
        } else {
            let files = try resolveModel(model, quiet: quiet || json).files
            let tokenizer = try ModelTokenizer.load(directory: files.directory)
            var distinct = Set<Int>()
            var counted = 0
            for path in corpus {
                let reader = try CorpusReader(path: path, options: corpusArguments.options())
                let bar = Progress("tokenize", unit: "bytes", quiet: quiet || json)
                let (part, bad) = try TrainingTokens.count(corpus: reader, tokenizer: tokenizer) { _, _ in
                    bar.update(reader.fileBytesRead, of: reader.fileByteCount)
                }
                bar.finish()
                distinct.formUnion(part.tokenIds)
                counted += part.tokensCounted
                badLines += bad
                if bad > 0 && !json { FileHandle.standardError.write(Data("\(path): \(bad) bad lines skipped (`saestore corpus \(path)` lists them)\n".utf8)) }
            }
            tokens = TrainingTokens(source: corpus.joined(separator: ", "), tokensCounted: counted, distinct: distinct)
        }
        if let source { tokens.source = source }
        try tokens.write(to: out)
        let summary = Summary(out: out, source: tokens.source, tokensCounted: tokens.tokensCounted,
                              distinctTokens: tokens.tokenIds.count, badLines: badLines)
        if json { return try printJSON(summary) }
        print("\(tokens.tokenIds.count) distinct token ids in \(tokens.tokensCounted) tokens of \(tokens.source); written to \(out)")
    }
}
