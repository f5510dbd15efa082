import ActStore
import ArgumentParser
import Dispatch
import Extract
import Foundation
import StreamTrain
import BLASKernels

/// `saestore ingest`: corpus → model activations → store, resumable.
struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Run a language model (GPT-2, Llama, Qwen2, Mistral) over a corpus and store hook activations with their tokens and text.",
        discussion: """
            Each document is tokenized (the model's tokenizer, with byte spans) and run in windows of --context \
            tokens (BOS first by default); one store column per --hook. The architecture is config.json's \
            model_type: gpt2, llama, mistral or qwen2 (docs/MODELS.md). Interrupt it (Ctrl-C) or lose \
            the machine, then rerun the same command: it continues from the last commit, with no \
            duplicate and no lost row. --model is a directory or a hub id (default: $SAESTORE_MODEL, \
            then gpt2 from the local cache or the hub). Sharded: under `mpirun -np N` each rank ingests \
            its contiguous share of the corpus's documents into STORE/shard-RRRR and rank 0 writes \
            STORE/shards.json; or run N independent ingests with --shard I/N and join them with \
            `saestore shards STORE STORE/shard-*` (docs/MPI.md). Every command reads the sharded store as one.
            """)

    @Option(help: "Model directory or hub id (gpt2, openai-community/gpt2).") var model: String?
    @Option(parsing: .upToNextOption, help: "Corpus files (.txt, .jsonl, .jsonl.zst, .jsonl.gz).") var corpus: [String]
    @Option(help: "Store directory (created, or continued).") var store: String
    @Option(help: "Hook to store, e.g. blocks.6.hook_resid_pre (repeatable).") var hook: [String]
    @Option(help: "Tokens per window, BOS included.") var context = 128
    @Flag(inversion: .prefixedNo, help: "Start every window with <|endoftext|> as BOS.") var prependBos = true
    @Option(help: "Stop once the store holds this many documents.") var maxDocs: Int?
    @Option(help: "Stop once the store holds this many rows (tokens stored, BOS rows included; rows already in an appended store count).") var maxStoreRows: Int?
    @Option(name: .customLong("max-tokens"), help: .hidden) var maxTokensOldSpelling: Int?
    @Option(help: "Activation dtype on disk: f32, f16, bf16, int8-outlier (lossy, keeps outliers), int8 (lossy, per-row absmax).") var dtype = "f16"
    @Option(help: "zstd level.") var level = 3
    @Option(name: [.customLong("batch-windows"), .customLong("batch")], help: "Windows per forward pass: up to batch × context tokens, each window at its own length (no padding). --batch is the same option; in train and sweep a batch is rows.") var batch = 8
    @Option(help: "BLAS threads (default: all cores; under mpirun, this machine's cores / its ranks unless OPENBLAS_NUM_THREADS is set).") var threads: Int?
    @Option(help: "Rows per chunk.") var chunkRows = 8192
    @Option(help: "Commit at least every N seconds.") var commitSeconds = 30.0
    @Option(help: "Ingest only shard I of N of the corpus's documents (I/N, e.g. 0/4) into STORE/shard-IIII.") var shard: String?
    @OptionGroup var corpusArguments: CorpusArguments
    @Flag(help: "No progress display.") var quiet = false
    @Flag(help: "Print the summary as JSON.") var json = false

    func validate() throws {
        if corpus.isEmpty { throw ValidationError("Give at least one --corpus file.") }
        if hook.isEmpty { throw ValidationError("Give at least one --hook, e.g. --hook blocks.6.hook_resid_pre.") }
        for file in corpus where !FileManager.default.fileExists(atPath: file) {
            throw ValidationError("The corpus file \(file) does not exist.")
        }
    }

    func run() throws {
        let maxTokens = try RenamedOption.value(maxStoreRows, newName: "--max-store-rows", old: maxTokensOldSpelling, oldName: "--max-tokens")
        guard let codec = ColumnCodec(rawValue: dtype), codec.isFloat else {
            throw ValidationError("--dtype must be f32, f16, bf16, int8-outlier or int8, not \(dtype)")
        }
        if let threads { BLAS.threadCount = threads }
        let (files, name) = try resolveModel(model, quiet: quiet || json)
        // The family config.json's model_type names (docs/MODELS.md).
        let (languageModel, tokenizer) = try LanguageModelLoader.load(files: files)
        let config = IngestConfig(hooks: hook, contextSize: context, prependBOS: prependBos, maxDocuments: maxDocs,
                                  maxTokens: maxTokens, dtype: codec, compressionLevel: level, batchWindows: batch,
                                  chunkRows: chunkRows, commitIntervalSeconds: commitSeconds)
        let ingester = try Ingester(model: languageModel, tokenizer: tokenizer, modelName: name, config: config)

        // Sharded ingest: --shard I/N, or one shard per rank under mpirun.
        let job = try MPIJob.start()
        job.applyThreadShare(explicitBLAS: threads)
        let ingestShard: IngestShard?
        do {
            ingestShard = try IngestShardPlan.shard(option: shard, rank: job.collective.rank, rankCount: job.collective.rankCount)
        } catch let error as CorpusError {
            throw ValidationError("\(error)")
        }
        let plan = try IngestShardPlan(shard: ingestShard, store: store, sources: corpus, options: { corpusArguments.options(skipDocuments: $0) })
        let target = plan.targetStore

        let interrupted = InterruptFlag()
        let bar = Progress("ingest", unit: "tok", quiet: quiet || json || !job.collective.isRoot)
        let budget = maxTokens
        let summary = try ingester.run(store: target, sources: corpus, open: plan.open, shouldStop: { interrupted.isSet }, progress: { p in
            let source = (p.source as NSString).lastPathComponent
            bar.update(p.rows, of: budget, extra: "docs \(p.documents)  \(source)" + (p.badLines > 0 ? "  bad lines \(p.badLines)" : ""))
        })
        bar.finish()
        if job.collective.rankCount > 1 {
            // Every shard is committed before rank 0 lists them (the sum is the synchronisation),
            // and only a complete ingest gets a manifest.
            var interruptedRanks = [summary.interrupted ? 1.0 : 0.0]
            try job.collective.sumInPlace(&interruptedRanks)
            if job.collective.isRoot {
                try IngestShardPlan.completeShardedStore(store: store, rankCount: job.collective.rankCount,
                                                         interruptedRankCount: Int(interruptedRanks[0]))
            }
            try job.collective.barrier()
        }
        job.finish()
        if !job.collective.isRoot && !summary.interrupted { return }
        if json { return try printJSON(summary) }
        if let ingestShard {
            print("shard \(ingestShard.index) of \(ingestShard.count) into \(target)" + (job.collective.rankCount > 1 ? " (rank 0's numbers below; \(store)/\(ShardManifest.fileName) lists all shards)" : ""))
        }
        if summary.alreadyComplete, summary.documentsInStore == 0, let ingestShard {
            print("shard \(ingestShard.index)'s share of the corpus is empty (fewer documents than shards); nothing to add")
        } else if summary.alreadyComplete {
            print("\(store) already holds this ingest (\(summary.documentsInStore) documents, \(summary.rowsInStore) tokens); nothing to add")
        } else {
            print("added \(summary.documentsAdded) documents, \(summary.rowsAdded) tokens in \(String(format: "%.1f", summary.seconds)) s (\(Int(summary.rowsPerSecond)) tokens/s)")
            print("store \(target): \(summary.documentsInStore) documents, \(summary.rowsInStore) tokens")
        }
        if job.collective.rankCount > 1, ShardManifest.exists(in: store) {
            let union = try openStore(at: store)
            print("sharded store \(store): \(union.documentCount) documents, \(union.rowCount) tokens in \(union.shardPaths.count) shards")
        }
        if summary.emptyDocuments > 0 { print("skipped \(summary.emptyDocuments) empty documents") }
        if summary.badLines > 0 { print("skipped \(summary.badLines) bad lines (run `saestore corpus FILE` to list them; --strict makes them fatal)") }
        if summary.interrupted {
            print("interrupted: rerun the same command to continue")
            throw ExitCode(130)
        }
    }
}

/// Set by SIGINT/SIGTERM; the ingest finishes its batch, commits and stops.
final class InterruptFlag: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var set = false

    init() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.withLock { self.set = true }
                FileHandle.standardError.write(Data("\nstopping after this batch (committing)…\n".utf8))
            }
            source.resume()
            sources.append(source)
        }
    }

    var isSet: Bool { lock.withLock { set } }
}
