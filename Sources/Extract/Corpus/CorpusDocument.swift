/// One document read from a corpus file.
public struct CorpusDocument: Equatable, Sendable {
    /// The document's text (for JSONL, the decoded value of the text field).
    public var text: String
    /// Path of the corpus file it came from, as given to `CorpusReader`.
    public var source: String
    /// 0-based document number in `source`: the line number for JSONL, the separator-delimited
    /// record number for plain text. Empty and bad records are counted too, so the number
    /// survives a resume with `CorpusOptions.skipDocuments`.
    public var index: Int
    /// Byte offset in the decompressed stream where the document's record starts (the line for
    /// JSONL, the first text byte for plain text).
    public var byteOffset: Int

    /// Takes the fields as given; `CorpusReader.next()` makes these.
    public init(text: String, source: String, index: Int, byteOffset: Int) {
        self.text = text
        self.source = source
        self.index = index
        self.byteOffset = byteOffset
    }
}
