// libFuzzer target: vocab.json and merges.txt parsers, then the tokenizer built from both.
// The input is split at its first 0x00 byte: before = vocab.json, after = merges.txt (neither
// file can legally hold NUL). Built by scripts/fuzz.sh with Extract/Tokenizer's sources.
// Expectation: every input parses or throws TokenizerError; a tokenizer that builds encodes
// and decodes text without trapping.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let split = bytes.firstIndex(of: 0) ?? bytes.count
    let vocabBytes = Array(bytes[..<split])
    let mergesBytes = split < bytes.count ? Array(bytes[(split + 1)...]) : []
    do {
        let vocabulary = try VocabularyFile.parse(vocabBytes, path: "fuzz/vocab.json")
        let merges = try MergesFile.parse(mergesBytes, path: "fuzz/merges.txt")
        let tokenizer = try GPT2Tokenizer(vocabulary: vocabulary, vocabPath: "fuzz/vocab.json",
                                          merges: merges, mergesPath: "fuzz/merges.txt")
        // Texts that are all covered by the byte alphabet only if the vocab holds every byte;
        // encode must not trap either way.
        for text in ["hello world", " x", "<|endoftext|>ab", String(decoding: mergesBytes.prefix(64), as: UTF8.self)] {
            let ids = tokenizer.encode(text, allowSpecial: true)
            _ = tokenizer.decode(ids.filter { Int($0) < tokenizer.vocabularySize })
        }
    } catch is TokenizerError {
    } catch {
        fatalError("tokenizer files threw an untyped error: \(error)")
    }
    return 0
}
