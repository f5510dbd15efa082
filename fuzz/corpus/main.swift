// libFuzzer target: a whole corpus file through CorpusReader (record splitter, zstd and gzip
// streams, JSONL parsing, UTF-8 checks). The first input byte picks the file's kind and the
// reader's block/record limits; the rest is the file. Built by scripts/fuzz.sh with
// Extract/Corpus's sources compiled in (links libzstd and zlib).
// Expectation: every file is read to the end or stops with a CorpusError; no trap.
private let kinds: [(suffix: String, separator: String?)] = [
    ("jsonl", nil), ("jsonl.zst", nil), ("jsonl.gz", nil), ("txt", nil), ("txt", "\n\n"), ("txt.zst", "<|endoftext|>"),
]
private let scratchPaths = kinds.map { FuzzScratch.path(suffix: $0.suffix) }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size >= 1, let data else { return 0 }
    let selector = Int(data[0])
    let kindIndex = selector % kinds.count
    let path = scratchPaths[kindIndex]
    FuzzScratch.write(UnsafeBufferPointer(start: data + 1, count: size - 1), to: path)
    // Small blocks and record limits put record boundaries, block boundaries and the
    // too-long path inside inputs of a few hundred bytes.
    let blockBytes = [1, 7, 64, 4096][(selector / kinds.count) % 4]
    let maxDocumentBytes = [16, 300, 1 << 20][(selector / (kinds.count * 4)) % 3]
    let options = CorpusOptions(separator: kinds[kindIndex].separator, strict: selector & 0x80 != 0,
                                maxDocumentBytes: maxDocumentBytes, blockBytes: blockBytes)
    do {
        let reader = try CorpusReader(path: path, options: options)
        var documentCount = 0
        while let document = try reader.next() {
            documentCount += 1
            precondition(documentCount <= size + 1, "CorpusReader returned more documents than input bytes")
            _ = document
        }
    } catch is CorpusError {
    } catch {
        fatalError("CorpusReader threw an untyped error: \(error)")
    }
    return 0
}
