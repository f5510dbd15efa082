extension CorpusReader: IngestDocumentStream {
    public func nextDocument() throws -> (text: String, index: Int)? {
        try next().map { ($0.text, $0.index) }
    }
}
