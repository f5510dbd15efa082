import ActStore
import Extract
import Foundation
import SAELoading
import StreamTrain

/// The seed pipeline at a size: how much to ingest, train and analyse.
public enum QuickstartBudget: String, Codable, Sendable, CaseIterable {
    /// Seconds: a smoke run of every stage (what the tests use).
    case tiny
    /// Minutes on 2 cores: a few hundred documents, a few epochs.
    case small
    /// The seed's settings: 20,000 documents for training, 5,000 for the MAE analysis, 100 epochs.
    case full
}

/// Everything the quickstart will do, decided before it starts (and printed).
public struct QuickstartPlan: Codable, Sendable {
    /// The model's name as the store's manifest records it: the hub id (e.g. "gpt2") or
    /// "saestore-demo/tiny-shakespeare-gpt2-f16" for the demo model.
    public var modelName: String
    /// Local directory holding config.json and the weights, with vocab.json and merges.txt
    /// (GPT-2) or tokenizer.json (Llama family).
    public var modelDirectory: String
    /// True when no GPT-2 could be had and the bundled demo model is used.
    public var usesDemoModel: Bool
    /// Corpus files ingested in order (the bundled demo corpus when none was given).
    public var corpora: [String]
    /// True when no corpus was given and demo/corpus/tinyshakespeare-heldout.txt is used.
    public var usesDemoCorpus: Bool
    /// Plain-text document separator passed to `CorpusOptions` ("\n\n" for the demo corpus: one
    /// document per speech); nil = each file is one document (JSONL ignores it).
    public var corpusSeparator: String?
    /// The size the plan was made for; it decides the document counts and epochs below.
    public var budget: QuickstartBudget
    /// Directory for everything the quickstart writes: store/, run/ and features/ under it.
    public var outputDirectory: String
    /// The hooked column: `blocks.{L}.hook_resid_pre` at L = layerCount / 2 (6 for GPT-2 small),
    /// in every family.
    public var hook: String
    /// Documents whose rows train the SAE; the next `analysisDocuments` are for MAEs.
    public var trainingDocuments: Int
    /// Documents after the training ones whose rows the feature scan reads (MAEs on unseen text):
    /// 20 tiny, 100 small (189 on the demo corpus), 5,000 full.
    public var analysisDocuments: Int
    /// The ingest settings: that hook, context min(128, n_positions) tokens, f16 activations, 8 windows
    /// per forward batch, at most trainingDocuments + analysisDocuments documents.
    public var ingest: IngestConfig
    /// Passes over the training rows: 2 tiny, 3 small (30 for a model ≤ 256 wide, the demo
    /// model), 100 full (the seed's).
    public var epochs: Int
    /// Latents per input dimension of the tied SAE (8, the seed's).
    public var expansion: Int

    /// `outputDirectory/store`: the activation store ingest writes.
    public var storePath: String { outputDirectory + "/store" }
    /// `outputDirectory/run`: the training run (run.json, checkpoints, metrics, sae/).
    public var runPath: String { outputDirectory + "/run" }
    /// `outputDirectory/features`: the feature scan's results and the HTML report (index.html).
    public var featuresPath: String { outputDirectory + "/features" }
}

/// Why a quickstart fell back to the demo model, in one sentence.
public struct QuickstartModelChoice: Sendable {
    /// The model's files, resolved and validated.
    public var files: ModelFiles
    /// The name recorded in the store (the hub id, or the demo model's name).
    public var name: String
    /// Why the demo model was chosen instead of GPT-2 (offline without a cached GPT-2, or the
    /// download failed); nil when the requested or default model was found.
    public var fallbackReason: String?
}

/// Decides a quickstart before it runs: which model (`chooseModel`), what to ingest and train
/// (`plan`), and how long that will take on this machine (`estimate`).
public enum QuickstartPlanner {
    /// The bundled demo/ directory: $SAESTORE_DEMO_DIR, ./demo, or beside the executable's
    /// checkout (.build/<config>/saestore → ../../demo).
    public static func demoDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        var candidates: [String] = []
        if let explicit = environment["SAESTORE_DEMO_DIR"] { candidates.append(explicit) }
        candidates.append(FileManager.default.currentDirectoryPath + "/demo")
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for up in 1...4 {
            var url = executable
            for _ in 0..<up { url = url.deletingLastPathComponent() }
            candidates.append(url.appendingPathComponent("demo").path)
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/model/config.json") }
    }

    /// --model, then $SAESTORE_MODEL, then gpt2 from the cache or the hub; when none can be
    /// had, the demo model, with the reason.
    public static func chooseModel(explicit: String?, locator: HFModelLocator) throws -> QuickstartModelChoice {
        do {
            let (files, name) = try locator.resolveDefault(explicit: explicit)
            return QuickstartModelChoice(files: files, name: name, fallbackReason: nil)
        } catch {
            // A model the user named must exist; only the default may fall back.
            if explicit != nil || locator.environment["SAESTORE_MODEL"].map({ !$0.isEmpty }) == true { throw error }
            guard let demo = demoDirectory(environment: locator.environment) else {
                throw FeaturesError.invalidArgument("no GPT-2 could be had (\(error)) and the bundled demo/ directory was not found; pass --model DIR or set SAESTORE_DEMO_DIR")
            }
            let files = try ModelFiles.validated(directory: demo + "/model")
            let reason = locator.isOffline || "\(error)".contains("offline")
                ? "no GPT-2 in the local Hugging Face cache and HF_HUB_OFFLINE is set"
                : "GPT-2 could not be downloaded"
            return QuickstartModelChoice(files: files, name: "saestore-demo/tiny-shakespeare-gpt2-f16", fallbackReason: reason)
        }
    }

    /// Makes the plan for `budget`: document counts, hook, ingest settings and epochs as the
    /// fields of `QuickstartPlan` describe. With no `corpora`, the bundled demo corpus. Throws
    /// `FeaturesError.invalidArgument` when there is no corpus and no demo corpus, or a corpus file
    /// does not exist, and `GPT2ModelError` / `LlamaModelError` when the model's config.json
    /// cannot be read or names a family that does not run.
    public static func plan(model: QuickstartModelChoice, corpora: [String], outputDirectory: String,
                            budget: QuickstartBudget) throws -> QuickstartPlan {
        let shape = try architecture(of: model.files)
        let hookLayer = shape.layerCount / 2
        var usesDemoCorpus = false
        var files = corpora
        var separator: String?
        if files.isEmpty {
            guard let demo = demoDirectory() else {
                throw FeaturesError.invalidArgument("no --corpus given and the bundled demo corpus was not found; pass --corpus FILE")
            }
            files = [demo + "/corpus/tinyshakespeare-heldout.txt"]
            usesDemoCorpus = true
            separator = "\n\n"  // one document per paragraph (speech)
        }
        for file in files where !FileManager.default.fileExists(atPath: file) {
            throw FeaturesError.invalidArgument("the corpus file \(file) does not exist")
        }
        let (trainingDocuments, analysisDocuments): (Int, Int)
        switch budget {
        case .tiny: (trainingDocuments, analysisDocuments) = (60, 20)
        case .small: (trainingDocuments, analysisDocuments) = usesDemoCorpus ? (750, 189) : (400, 100)
        case .full: (trainingDocuments, analysisDocuments) = (20_000, 5_000)
        }
        let ingest = IngestConfig(hooks: ["blocks.\(hookLayer).hook_resid_pre"], contextSize: min(128, shape.maxPositions),
                                  maxDocuments: trainingDocuments + analysisDocuments, dtype: .f16, batchWindows: 8)
        let small = shape.width <= 256
        return QuickstartPlan(modelName: model.name, modelDirectory: model.files.directory, usesDemoModel: model.fallbackReason != nil,
                              corpora: files, usesDemoCorpus: usesDemoCorpus, corpusSeparator: separator, budget: budget,
                              outputDirectory: outputDirectory, hook: ingest.hooks[0], trainingDocuments: trainingDocuments,
                              analysisDocuments: analysisDocuments, ingest: ingest,
                              epochs: budget == .full ? 100 : budget == .tiny ? 2 : (small ? 30 : 3), expansion: 8)
    }
}

extension QuickstartPlanner {
    /// Blocks, longest window and residual width from config.json, read as the family its
    /// `model_type` names (GPT-2's n_layer / n_positions / n_embd, Llama's and GPT-NeoX's
    /// num_hidden_layers / max_position_embeddings / hidden_size), without loading the weights.
    static func architecture(of files: ModelFiles) throws -> (layerCount: Int, maxPositions: Int, width: Int) {
        switch try LanguageModelLoader.family(files: files) {
        case .llama:
            let config = try LlamaConfig.load(path: files.configPath)
            return (config.layerCount, config.maxPositions, config.hiddenWidth)
        case .gptNeoX:
            let config = try NeoXConfig.load(path: files.configPath)
            return (config.layerCount, config.maxPositions, config.hiddenWidth)
        case .gemma2:
            let config = try Gemma2Config.load(path: files.configPath)
            return (config.layerCount, config.maxPositions, config.hiddenWidth)
        default:
            let config = try GPT2Config.load(path: files.configPath)
            return (config.layerCount, config.maxPositions, config.embeddingWidth)
        }
    }
}

/// How long a plan will take here, measured before it starts: the corpus's first documents
/// are tokenized for tokens per document, one forward batch and one SAE step are timed.
public struct QuickstartEstimate: Sendable {
    /// Mean tokens per document over the first 200 documents of the first corpus file.
    public var tokensPerDocument: Double
    /// Documents the corpus holds when it has fewer than the plan wants (counted, not tokenized;
    /// single-file corpora only); nil when it has enough or it was not counted.
    public var documentsAvailable: Int?
    /// Tokens ingest will write: tokensPerDocument × the documents it will read.
    public var ingestTokens: Int
    /// Estimated ingest time, seconds, from one timed forward batch of the plan's shape.
    public var ingestSeconds: Double
    /// Estimated training time, seconds, from one timed dense SAE step (an upper bound: sparse
    /// kernels take over once the SAE is sparse), times training tokens × epochs.
    public var trainSeconds: Double
    /// ingestSeconds + trainSeconds (the scan and report are not counted).
    public var totalSeconds: Double { ingestSeconds + trainSeconds }
}

extension QuickstartPlanner {
    /// Measures `plan` on this machine: tokenizes up to 200 documents for tokens per document,
    /// counts the documents the corpus has, times one forward batch of `model` and one SAE step.
    /// Throws the corpus reader's errors and `ModelFamilyError` / `HookPointError` for a hook the
    /// model lacks.
    public static func estimate(_ plan: QuickstartPlan, model: any DecoderLanguageModel,
                                tokenizer: any TextTokenizer) throws -> QuickstartEstimate {
        // Tokens per document from up to 200 documents of the first corpus file.
        let reader = try CorpusReader(path: plan.corpora[0], options: CorpusOptions(separator: plan.corpusSeparator))
        var sampled = 0, tokens = 0
        while sampled < 200, let document = try reader.next() {
            tokens += tokenizer.encode(document.text, allowSpecial: false).count
            sampled += 1
        }
        // Count (without tokenizing) up to the documents the plan wants, to know if the corpus has them.
        let wanted = plan.trainingDocuments + plan.analysisDocuments
        var available = sampled
        var exhausted = sampled < 200
        if !exhausted {
            while available < wanted, try reader.next() != nil { available += 1 }
            exhausted = available < wanted
        }
        exhausted = exhausted && plan.corpora.count == 1
        let perDocument = Double(tokens) / Double(max(sampled, 1))
        let documents = min(wanted, exhausted ? available : Int.max)
        let ingestTokens = Int(perDocument * Double(documents))

        let hook = try model.hookPoint(named: plan.hook)
        let T = plan.ingest.contextSize, B = plan.ingest.batchWindows
        // Any id the vocabulary has: the time does not depend on which.
        let batch = [UInt32](repeating: 0, count: B * T)
        _ = try model.activations(tokens: batch, batch: B, sequenceLength: T, hooks: [hook])
        var start = Date()
        _ = try model.activations(tokens: batch, batch: B, sequenceLength: T, hooks: [hook])
        let forwardTokensPerSecond = Double(B * T) / max(Date().timeIntervalSince(start), 1e-6)

        var config = SAEConfig(architecture: .tied, dIn: model.width(of: hook))
        config.expansionFactor = plan.expansion
        let trainer = try SAETrainer(config: config)
        var rng = SeededGenerator(seed: 1)
        let rows = (0..<(config.batchSize * config.dIn)).map { _ in rng.nextSymmetric(bound: 1) }
        try trainer.step(rows: rows, rowCount: config.batchSize)
        start = Date()
        try trainer.step(rows: rows, rowCount: config.batchSize)
        // A dense step: an upper bound, since sparse kernels take over once the SAE is sparse.
        let trainTokensPerSecond = Double(config.batchSize) / max(Date().timeIntervalSince(start), 1e-6)
        let trainingTokens = perDocument * Double(min(plan.trainingDocuments, documents)) * Double(plan.epochs)
        return QuickstartEstimate(tokensPerDocument: perDocument, documentsAvailable: exhausted ? available : nil,
                                  ingestTokens: ingestTokens, ingestSeconds: Double(ingestTokens) / forwardTokensPerSecond,
                                  trainSeconds: trainingTokens / trainTokensPerSecond)
    }
}
