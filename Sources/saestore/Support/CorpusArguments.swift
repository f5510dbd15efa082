import ArgumentParser
import Extract

/// How corpus files are read, shared by `ingest` and `corpus` (docs/CORPUS.md).
struct CorpusArguments: ParsableArguments {
    @Option(help: "Record layout: text or jsonl (default: from the extension).")
    var format: CorpusFormat?

    @Option(help: "Compression: none, zstd or gzip (default: from the extension).")
    var compression: CorpusCompression?

    @Option(help: "JSONL: top-level field holding the text.")
    var textField = "text"

    @Option(help: "Plain text: separator between documents, with \\n \\t escapes (default: the whole file is one document).")
    var separator: String?

    @Flag(help: "Stop at the first bad line instead of counting and skipping it.")
    var strict = false

    @Option(help: "Longest record in bytes; longer ones are bad lines.")
    var maxDocumentBytes = CorpusOptions().maxDocumentBytes

    func options(skipDocuments: Int = 0) -> CorpusOptions {
        CorpusOptions(format: format, compression: compression, textField: textField,
                      separator: separator.map(CorpusCommand.unescape), strict: strict,
                      maxDocumentBytes: maxDocumentBytes, skipDocuments: skipDocuments)
    }
}
