import Foundation

/// The reading-and-tokenizing half of the ingest pipeline: one background thread reads a
/// source's documents and tokenizes each with byte spans, up to `depth` documents ahead of the
/// forward, so the forward never waits for the tokenizer while documents remain. The consumer
/// sees exactly the sequence a plain loop over the stream would give (same documents, same
/// spans, the same bad-line counts after each, an error at the same place), which is why the
/// store an ingest writes is the same with or without the stage (IngestTokenizeStageTests).
///
/// Reading ahead is safe for resume: the ingest's cursor counts documents it has consumed, not
/// read, so documents read ahead but never consumed (a budget reached, Ctrl-C) are read again
/// by the next run.
final class IngestTokenizeStage {
    /// One read: a document and its tokens, or the end of the source (`document` nil).
    struct Item {
        /// The document's text and its 0-based number in the source; nil at the end.
        let document: (text: String, index: Int)?
        /// Its tokens with their byte ranges in `document.text.utf8`; empty at the end.
        let spans: [TokenSpan]
        /// The stream's malformed-line count right after this read.
        let badLineCount: Int
    }

    private let condition = NSCondition()
    private var ready: [Result<Item, Error>] = []  // in read order; guarded by `condition`
    private var stopping = false                    // guarded by `condition`
    private var finished = false                    // the thread has exited; guarded by `condition`
    private let depth: Int

    /// Starts reading `stream` on a background thread (which owns the stream from now on),
    /// tokenizing with `tokenizer`, at most `depth` documents ahead of `next()`. The owner must
    /// call `stop()` when done with it (the thread holds the stage until it exits).
    init(stream: any IngestDocumentStream, tokenizer: any TextTokenizer, depth: Int = 64) {
        precondition(depth >= 1, "IngestTokenizeStage depth must be at least 1")
        self.depth = depth
        var stream = stream
        let thread = Thread { [self] in
            while true {
                condition.lock()
                while ready.count >= self.depth && !stopping { condition.wait() }
                let stop = stopping
                condition.unlock()
                if stop { break }
                // Read and tokenize outside the lock: this is the work that overlaps the forward.
                let result: Result<Item, Error>
                do {
                    if let document = try stream.nextDocument() {
                        let spans = tokenizer.encodeWithSpans(document.text, allowSpecial: false)
                        result = .success(Item(document: document, spans: spans, badLineCount: stream.badLineCount))
                    } else {
                        result = .success(Item(document: nil, spans: [], badLineCount: stream.badLineCount))
                    }
                } catch {
                    result = .failure(error)
                }
                condition.lock()
                ready.append(result)
                condition.broadcast()
                condition.unlock()
                // The end of the source and an error both end the read, as in a plain loop.
                if case .success(let item) = result, item.document != nil { continue }
                break
            }
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "saestore.ingest.tokenize"
        thread.start()
    }

    /// The next read, in order, waiting for it if the thread has not got there yet; rethrows the
    /// stream's error at the position it happened. Not to be called again after the end or an error.
    func next() throws -> Item {
        condition.lock()
        while ready.isEmpty { condition.wait() }
        let result = ready.removeFirst()
        condition.broadcast()
        condition.unlock()
        return try result.get()
    }

    /// Stops reading ahead and waits for the thread to exit (it finishes the document it is on).
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }
}
