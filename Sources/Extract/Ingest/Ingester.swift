import ActStore
import Foundation

/// Documents of one corpus source, as ingest reads them.
public protocol IngestDocumentStream {
    /// The next document's text and its 0-based number in the source; nil at the end.
    mutating func nextDocument() throws -> (text: String, index: Int)?
    /// Malformed lines skipped so far.
    var badLineCount: Int { get }
}

/// Corpus → tokens → forward (any `DecoderLanguageModel`: GPT-2, Llama…) → store, resumable.
///
/// Each document is tokenized with byte spans and cut into windows of `contextSize` tokens
/// (BOS first when asked); windows of consecutive documents are packed, each at its own length,
/// into forwards of up to B·contextSize rows, so no padded position is computed (`IngestBatch`;
/// causal attention makes each row the same as in a padded batch). Writing to the store runs on a
/// second thread while the next forward computes (`IngestWriteStage`). Rows reach the store in
/// corpus order, so each source's cursor is simply the number of the next document to read; it
/// is committed atomically with the rows, and a rerun of the same command continues from it with
/// no duplicate.
public final class Ingester {
    /// The forward that computes the hooked activations (its family decides the hook names allowed).
    public let model: any DecoderLanguageModel
    /// Tokenizes documents with byte spans (GPT-2 BPE, or a tokenizer.json for Llama-family models).
    public let tokenizer: any TextTokenizer
    /// The id every window starts with when `prependBOS` (GPT-2's <|endoftext|>, the model's BOS otherwise).
    public let bosTokenID: UInt32
    /// The model's name recorded in the store's manifest; a rerun into the same store must give the same.
    public let modelName: String
    /// The validated settings (hooks, window size, dtype, batching, commit policy).
    public let config: IngestConfig
    private let hooks: [HookPoint]
    /// Pads every window to its batch's longest, as a (B,T) batch of `batchWindows` windows: the
    /// plain reference the packed forward is tested against (the same stored bytes).
    var computesPadding = false

    /// Validates `config` against the model's context length, resolves each hook through the
    /// model's family, and picks the BOS id. Throws `StoreError.invalidArgument` for a bad config
    /// or a tokenizer.json tokenizer with neither BOS nor EOS while `prependBOS`, and
    /// `ModelFamilyError` or `HookPointError` for a hook the model does not have.
    public init(model: any DecoderLanguageModel, tokenizer: any TextTokenizer, modelName: String, config: IngestConfig) throws {
        try config.validate(modelContext: model.maxSequenceLength)
        if let hf = tokenizer as? HFTokenizer {
            // SAELens prepends the tokenizer's BOS; models without one (Qwen2) use their EOS as GPT-2 does.
            guard let bos = hf.bosTokenID ?? hf.eosTokenIDs.first ?? (config.prependBOS ? nil : 0) else {
                throw StoreError.invalidArgument("the tokenizer names no BOS or EOS token to prepend; use --no-prepend-bos")
            }
            bosTokenID = bos
        } else {
            bosTokenID = GPT2Tokenizer.endOfTextID
        }
        self.model = model
        self.tokenizer = tokenizer
        self.modelName = modelName
        self.config = config
        // Through the family seam: a hook this architecture lacks is refused, naming the ones it has.
        hooks = try config.hooks.map { try model.hookPoint(named: $0) }
    }

    /// The manifest of a store this ingest writes.
    public func manifest() -> StoreManifest {
        let activationColumns = hooks.map {
            ColumnSpec(name: $0.description, width: model.width(of: $0), codec: config.dtype, compressionLevel: config.compressionLevel)
        }
        return StoreManifest(columns: TokenColumn.all + activationColumns, chunkRows: config.chunkRows, hasDocuments: true,
                             model: modelName, tokenizer: tokenizer is HFTokenizer ? "tokenizer.json" : "gpt2-bpe", contextSize: config.contextSize, prependBOS: config.prependBOS,
                             notes: ["written_by": "saestore ingest"])
    }

    /// Documents read and tokenized ahead of the forward on a background thread
    /// (`IngestTokenizeStage`); 0 reads and tokenizes in the forward's loop, the plain reference
    /// the stage is tested against. The store is the same either way.
    public var readAheadDocuments = 64

    /// A source's documents with their tokens, through the read-ahead stage or, with no
    /// read-ahead, straight from the stream in the caller's loop.
    private final class DocumentReads {
        private var stream: (any IngestDocumentStream)?
        private let tokenizer: any TextTokenizer
        private let stage: IngestTokenizeStage?

        init(stream: any IngestDocumentStream, tokenizer: any TextTokenizer, readAhead: Int) {
            self.tokenizer = tokenizer
            if readAhead > 0 {
                stage = IngestTokenizeStage(stream: stream, tokenizer: tokenizer, depth: readAhead)
            } else {
                self.stream = stream
                stage = nil
            }
        }

        func next() throws -> IngestTokenizeStage.Item {
            if let stage { return try stage.next() }
            let document = try stream!.nextDocument()
            let spans = document.map { tokenizer.encodeWithSpans($0.text, allowSpecial: false) } ?? []
            return IngestTokenizeStage.Item(document: document, spans: spans, badLineCount: stream!.badLineCount)
        }

        func stop() { stage?.stop() }
    }

    /// Cursor value of one source: the next document to read, and whether it is exhausted.
    struct SourceCursor: Codable {
        var next: Int
        var complete: Bool
    }

    private struct PendingDoc {
        var text: String
        var source: String
        var index: Int
        var spans: [TokenSpan]
        var windowsLeft: Int
    }

    /// Runs the ingest. `open(source, skip)` opens a source positioned after its first
    /// `skip` documents. `shouldStop` is polled between batches (Ctrl-C).
    public func run(store: String, sources: [String],
                    open: (_ source: String, _ skip: Int) throws -> IngestDocumentStream,
                    shouldStop: () -> Bool = { false },
                    progress: ((IngestProgress) -> Void)? = nil) throws -> IngestSummary {
        let expected = manifest()
        let writer = try StoreWriter.openOrCreate(at: store, manifest: expected)
        let existing = writer.manifest
        if existing.model != expected.model || existing.contextSize != expected.contextSize || existing.prependBOS != expected.prependBOS {
            throw StoreError.invalidArgument("\(store) was made from \(existing.model ?? "?") (context \(existing.contextSize ?? 0), BOS \(existing.prependBOS ?? false)); this ingest uses \(modelName) (context \(config.contextSize), BOS \(config.prependBOS)). Use another --store.")
        }
        var cursors: [String: SourceCursor] = [:]
        for (source, bytes) in try writer.committedCursor() {
            cursors[source] = try? JSONDecoder().decode(SourceCursor.self, from: Data(bytes))
        }

        var summary = IngestSummary()
        let start = ContinuousClock.now
        var pending: [PendingDoc] = []
        var pendingBase = 0  // absolute number of pending[0]
        var windows: [IngestBatch.Window] = []
        var queuedRows = 0  // rows of `windows`, BOS included
        var openDocAbsolute: Int?
        var lastCommit = ContinuousClock.now
        var docsSinceCommit = 0
        var badLines = 0
        var badLinesInFinishedSources = 0
        var currentSource = ""
        var stopped = false
        // Only the write stage touches `writer` from here on; these count what was handed to it.
        var storeRows = writer.committedRowCount
        var storeDocs = writer.committedDocumentCount
        let stage = IngestWriteStage()
        // However run() ends, nothing may still be writing to the store once it returns.
        defer { try? stage.drain() }
        let bos = config.prependBOS ? 1 : 0
        let rowsPerForward = config.batchWindows * config.contextSize

        func commit() throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]  // the same cursor, the same bytes
            let encoded = try cursors.mapValues { Array(try encoder.encode($0)) }
            try stage.submit { try writer.commit(cursor: encoded) }
            lastCommit = .now
            docsSinceCommit = 0
        }

        /// Retires finished documents from the front, advancing their source's cursor.
        func retireFinished() {
            while let first = pending.first, first.windowsLeft == 0 {
                cursors[first.source] = SourceCursor(next: first.index + 1, complete: false)
                pending.removeFirst()
                pendingBase += 1
            }
        }

        /// The next forward's windows: B of them padded, or as many as fit B·context rows packed.
        func takeWindows() -> [IngestBatch.Window] {
            var count = computesPadding ? min(config.batchWindows, windows.count) : 0
            if !computesPadding {
                var rows = 0
                while count < windows.count, count == 0 || rows + windows[count].tokens.count + bos <= rowsPerForward {
                    rows += windows[count].tokens.count + bos
                    count += 1
                }
            }
            let taken = Array(windows.prefix(count))
            windows.removeFirst(count)
            queuedRows -= taken.reduce(0) { $0 + $1.tokens.count + bos }
            return taken
        }

        func runBatch() throws {
            let batch = IngestBatch(windows: takeWindows(), bos: bos == 1, bosTokenID: bosTokenID, padded: computesPadding) { doc, i in
                pending[doc - pendingBase].spans[i].id
            }
            let forwardStart = ContinuousClock.now
            let acts = try model.activations(tokens: batch.tokenIDs, sequenceLengths: batch.sequenceLengths, hooks: hooks)
            summary.forwardSeconds += (ContinuousClock.now - forwardStart).seconds
            summary.computedRows += batch.computedRowCount

            // Each window's rows, built here from the documents as they are now; written there.
            var parts: [(begin: PendingDoc?, part: DocumentRows, end: Bool)] = []
            for (b, window) in batch.windows.enumerated() {
                let slot = window.doc - pendingBase
                let doc = pending[slot]
                var begin: PendingDoc?
                if openDocAbsolute != window.doc {
                    begin = doc
                    openDocAbsolute = window.doc
                }
                let n = window.tokens.count + bos
                var part = DocumentRows(text: "", source: doc.source, sourceIndex: doc.index, tokenIDs: [], positions: [],
                                        byteStarts: [], byteEnds: [], activations: [:])
                if bos == 1 {
                    let at = UInt32(doc.spans[window.tokens.lowerBound].byteStart)
                    part.tokenIDs.append(bosTokenID)
                    part.byteStarts.append(at)
                    part.byteEnds.append(at)
                }
                for i in window.tokens {
                    part.tokenIDs.append(doc.spans[i].id)
                    part.byteStarts.append(UInt32(doc.spans[i].byteStart))
                    part.byteEnds.append(UInt32(doc.spans[i].byteEnd))
                }
                part.positions = (0..<n).map { UInt32($0) }
                let firstRow = batch.firstRows[b]
                for hook in hooks {
                    let width = model.width(of: hook)
                    part.activations[hook.description] = Array(acts[hook]![firstRow * width..<(firstRow + n) * width])
                }
                parts.append((begin, part, window.isLast))
                pending[slot].windowsLeft -= 1
                if window.isLast {
                    openDocAbsolute = nil
                    summary.documentsAdded += 1
                    docsSinceCommit += 1
                    storeDocs += 1
                }
                summary.rowsAdded += n
                storeRows += n
            }
            try stage.submit {
                for (begin, part, end) in parts {
                    if let begin { try writer.beginDocument(text: begin.text, source: begin.source, sourceIndex: begin.index) }
                    try writer.appendTokens(part)
                    if end { try writer.endDocument() }
                }
            }
            retireFinished()
            if openDocAbsolute == nil &&
                (docsSinceCommit >= config.commitEveryDocuments || (ContinuousClock.now - lastCommit) >= .seconds(config.commitIntervalSeconds)) {
                try commit()
            }
            progress?(IngestProgress(source: currentSource, documents: storeDocs, rows: storeRows, rowsAdded: summary.rowsAdded,
                                     seconds: (ContinuousClock.now - start).seconds, badLines: badLines))
        }

        func budgetReached() -> Bool {
            let docs = storeDocs + pending.count
            let rows = storeRows + queuedRows
            return (config.maxDocuments.map { docs >= $0 } ?? false) || (config.maxTokens.map { rows >= $0 } ?? false)
        }

        func batchReady() -> Bool {
            computesPadding ? windows.count >= config.batchWindows : queuedRows >= rowsPerForward
        }

        sourceLoop: for source in sources {
            currentSource = source
            let cursor = cursors[source] ?? SourceCursor(next: 0, complete: false)
            if cursor.complete { continue }
            let reads = DocumentReads(stream: try open(source, cursor.next), tokenizer: tokenizer, readAhead: readAheadDocuments)
            defer { reads.stop() }
            while true {
                if budgetReached() { break sourceLoop }
                if shouldStop() { stopped = true; break sourceLoop }
                // Counted before the end-of-source check: bad lines after the last good
                // document are bad lines too.
                let waitStart = ContinuousClock.now
                let next = try reads.next()
                summary.readWaitSeconds += (ContinuousClock.now - waitStart).seconds
                badLines = badLinesInFinishedSources + next.badLineCount
                guard let document = next.document else { break }
                let spans = next.spans
                let windowRanges = Self.windows(tokenCount: spans.count, tokensPerWindow: config.textTokensPerWindow)
                let absolute = pendingBase + pending.count
                pending.append(PendingDoc(text: document.text, source: source, index: document.index, spans: spans, windowsLeft: windowRanges.count))
                if windowRanges.isEmpty { summary.emptyDocuments += 1 }
                for (w, range) in windowRanges.enumerated() {
                    windows.append(IngestBatch.Window(doc: absolute, tokens: range, isLast: w == windowRanges.count - 1))
                    queuedRows += range.count + bos
                }
                retireFinished()
                while batchReady() { try runBatch() }
            }
            // The source is exhausted: flush its windows, then mark it complete.
            while !windows.isEmpty { try runBatch() }
            retireFinished()
            badLinesInFinishedSources = badLines
            let next = cursors[source]?.next ?? cursor.next
            cursors[source] = SourceCursor(next: next, complete: true)
        }
        // Stopped or not, finish what is queued: the open document ends, and every row
        // in the store belongs to a complete document before the commit.
        while !windows.isEmpty { try runBatch() }
        retireFinished()
        summary.alreadyComplete = summary.rowsAdded == 0 && !stopped
        try commit()
        try stage.drain()
        summary.interrupted = stopped
        summary.badLines = badLines
        summary.documentsInStore = writer.committedDocumentCount
        summary.rowsInStore = writer.committedRowCount
        summary.seconds = (ContinuousClock.now - start).seconds
        summary.writeSeconds = stage.secondsBusy
        summary.rowsPerSecond = summary.seconds > 0 ? Double(summary.rowsAdded) / summary.seconds : 0
        return summary
    }

    /// Token ranges of a document's windows: consecutive, `tokensPerWindow` long, the last shorter.
    static func windows(tokenCount: Int, tokensPerWindow: Int) -> [Range<Int>] {
        stride(from: 0, to: tokenCount, by: tokensPerWindow).map { $0..<min($0 + tokensPerWindow, tokenCount) }
    }
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
