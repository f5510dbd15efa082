extension CorpusReader: IngestDocumentStream {
    /// `next()`'s text and `index`; empty documents and bad lines are skipped, keeping their numbers.
    public func nextDocument() throws -> (text: String, index: Int)? {
        try next().map { ($0.text, $0.index) }
    }
}
