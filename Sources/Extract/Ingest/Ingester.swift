import ActStore
import Foundation

/// Documents of one corpus source, as ingest reads them.
public protocol IngestDocumentStream {
    /// The next document's text and its 0-based number in the source; nil at the end.
    mutating func nextDocument() throws -> (text: String, index: Int)?
    /// Malformed lines skipped so far.
    var badLineCount: Int { get }
}

/// Corpus → tokens → GPT-2 forward → store, resumable.
///
/// Each document is tokenized with byte spans and cut into windows of `contextSize` tokens
/// (BOS first when asked); windows of consecutive documents are batched B at a time, short
/// windows padded at the end (causal attention: padding never changes real positions, and
/// padded rows are dropped). Rows reach the store in corpus order, so each source's cursor
/// is simply the number of the next document to read; it is committed atomically with the
/// rows, and a rerun of the same command continues from it with no duplicate.
public final class Ingester {
    public let model: GPT2Model
    public let tokenizer: GPT2Tokenizer
    public let modelName: String
    public let config: IngestConfig
    private let hooks: [HookPoint]

    public init(model: GPT2Model, tokenizer: GPT2Tokenizer, modelName: String, config: IngestConfig) throws {
        try config.validate(modelContext: model.config.maxPositions)
        self.model = model
        self.tokenizer = tokenizer
        self.modelName = modelName
        self.config = config
        hooks = try config.hooks.map { try HookPoint(parsing: $0, config: model.config) }
    }

    /// The manifest of a store this ingest writes.
    public func manifest() -> StoreManifest {
        let activationColumns = hooks.map {
            ColumnSpec(name: $0.description, width: $0.width(model.config), codec: config.dtype, compressionLevel: config.compressionLevel)
        }
        return StoreManifest(columns: TokenColumn.all + activationColumns, chunkRows: config.chunkRows, hasDocuments: true,
                             model: modelName, tokenizer: "gpt2-bpe", contextSize: config.contextSize, prependBOS: config.prependBOS,
                             notes: ["written_by": "saestore ingest"])
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

    private struct Window {
        var doc: Int  // index into `pending` (absolute, see pendingBase)
        var tokens: Range<Int>
        var isLast: Bool
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
        var windows: [Window] = []
        var openDocAbsolute: Int?
        var lastCommit = ContinuousClock.now
        var docsSinceCommit = 0
        var badLines = 0
        var badLinesInFinishedSources = 0
        var currentSource = ""
        var stopped = false

        func storeRows() -> Int { writer.committedRowCount + writer.uncommittedRowCount }
        func storeDocs() -> Int { writer.committedDocumentCount + writer.uncommittedDocumentCount }
        func queuedRows() -> Int { windows.reduce(0) { $0 + $1.tokens.count + (config.prependBOS ? 1 : 0) } }

        func commit() throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]  // the same cursor, the same bytes
            let encoded = try cursors.mapValues { Array(try encoder.encode($0)) }
            try writer.commit(cursor: encoded)
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

        func runBatch() throws {
            let batch = Array(windows.prefix(config.batchWindows))
            windows.removeFirst(batch.count)
            let bos = config.prependBOS ? 1 : 0
            let T = batch.map { $0.tokens.count + bos }.max()!
            let B = batch.count
            var tokens = [UInt32](repeating: GPT2Tokenizer.endOfTextID, count: B * T)
            for (b, window) in batch.enumerated() {
                let doc = pending[window.doc - pendingBase]
                for (t, i) in window.tokens.enumerated() { tokens[b * T + bos + t] = doc.spans[i].id }
            }
            let acts = try model.activations(tokens: tokens, batch: B, sequenceLength: T, hooks: hooks)
            for (b, window) in batch.enumerated() {
                let slot = window.doc - pendingBase
                let doc = pending[slot]
                if openDocAbsolute != window.doc {
                    try writer.beginDocument(text: doc.text, source: doc.source, sourceIndex: doc.index)
                    openDocAbsolute = window.doc
                }
                let n = window.tokens.count + bos
                var part = DocumentRows(text: "", source: doc.source, sourceIndex: doc.index, tokenIDs: [], positions: [],
                                        byteStarts: [], byteEnds: [], activations: [:])
                if bos == 1 {
                    let at = UInt32(doc.spans[window.tokens.lowerBound].byteStart)
                    part.tokenIDs.append(GPT2Tokenizer.endOfTextID)
                    part.byteStarts.append(at)
                    part.byteEnds.append(at)
                }
                for i in window.tokens {
                    part.tokenIDs.append(doc.spans[i].id)
                    part.byteStarts.append(UInt32(doc.spans[i].byteStart))
                    part.byteEnds.append(UInt32(doc.spans[i].byteEnd))
                }
                part.positions = (0..<n).map { UInt32($0) }
                for hook in hooks {
                    let width = hook.width(model.config)
                    let all = acts[hook]!
                    part.activations[hook.description] = Array(all[(b * T) * width..<(b * T + n) * width])
                }
                try writer.appendTokens(part)
                pending[slot].windowsLeft -= 1
                if window.isLast {
                    try writer.endDocument()
                    openDocAbsolute = nil
                    summary.documentsAdded += 1
                    docsSinceCommit += 1
                }
                summary.rowsAdded += n
            }
            retireFinished()
            if openDocAbsolute == nil &&
                (docsSinceCommit >= config.commitEveryDocuments || (ContinuousClock.now - lastCommit) >= .seconds(config.commitIntervalSeconds)) {
                try commit()
            }
            progress?(IngestProgress(source: currentSource, documents: storeDocs(), rows: storeRows(), rowsAdded: summary.rowsAdded,
                                     seconds: (ContinuousClock.now - start).seconds, badLines: badLines))
        }

        func budgetReached() -> Bool {
            let docs = storeDocs() + pending.count
            let rows = storeRows() + queuedRows()
            return (config.maxDocuments.map { docs >= $0 } ?? false) || (config.maxTokens.map { rows >= $0 } ?? false)
        }

        sourceLoop: for source in sources {
            currentSource = source
            let cursor = cursors[source] ?? SourceCursor(next: 0, complete: false)
            if cursor.complete { continue }
            var stream = try open(source, cursor.next)
            while true {
                if budgetReached() { break sourceLoop }
                if shouldStop() { stopped = true; break sourceLoop }
                // Counted before the end-of-source check: bad lines after the last good
                // document are bad lines too.
                let next = try stream.nextDocument()
                badLines = badLinesInFinishedSources + stream.badLineCount
                guard let document = next else { break }
                let spans = tokenizer.encodeWithSpans(document.text)
                let windowRanges = Self.windows(tokenCount: spans.count, tokensPerWindow: config.textTokensPerWindow)
                let absolute = pendingBase + pending.count
                pending.append(PendingDoc(text: document.text, source: source, index: document.index, spans: spans, windowsLeft: windowRanges.count))
                if windowRanges.isEmpty { summary.emptyDocuments += 1 }
                for (w, range) in windowRanges.enumerated() {
                    windows.append(Window(doc: absolute, tokens: range, isLast: w == windowRanges.count - 1))
                }
                retireFinished()
                while windows.count >= config.batchWindows { try runBatch() }
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
        summary.interrupted = stopped
        summary.badLines = badLines
        summary.documentsInStore = writer.committedDocumentCount
        summary.rowsInStore = writer.committedRowCount
        summary.seconds = (ContinuousClock.now - start).seconds
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
