import TensorIO
import Foundation
import XCTest
@testable import Extract

/// GPT-2 BPE against ids from `tokenizers` and tiktoken (scripts/fixtures/tokenizer_fixture.py),
/// and the fast path against the plain reference (regex + textbook BPE).
final class TokenizerTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let dataDirectory = packageRoot.appendingPathComponent("../shared/data").standardizedFileURL
    /// GPT-2's own vocab.json and merges.txt, as the repository ships them with its demo model
    /// (byte-identical to ../shared/data/gpt2-tokenizer's: DemoModelTests), so a clone alone runs these.
    static let vocabPath = packageRoot.appendingPathComponent("demo/model/vocab.json").path
    static let mergesPath = packageRoot.appendingPathComponent("demo/model/merges.txt").path

    struct Fixture: Decodable {
        struct Case: Decodable {
            let name: String
            let text: String
            let ids: [UInt32]
            let byte_spans: [[Int]]
            let ids_allow_special: [UInt32]?
        }
        struct Corpus: Decodable {
            let path: String
            let byte_count: Int
            let token_count: Int
            let fnv1a64_ids_le: String
            let first_ids: [UInt32]
            let last_ids: [UInt32]
        }
        let cases: [Case]
        let corpus: Corpus
    }

    nonisolated(unsafe) static var cachedTokenizer: GPT2Tokenizer?
    nonisolated(unsafe) static var cachedReference: ReferenceBPE?

    func tokenizer() throws -> GPT2Tokenizer {
        guard FileManager.default.fileExists(atPath: Self.vocabPath) else {
            throw XCTSkip("GPT-2 tokenizer files not found at \(Self.vocabPath)")
        }
        if let tokenizer = Self.cachedTokenizer { return tokenizer }
        let tokenizer = try GPT2Tokenizer(vocabPath: Self.vocabPath, mergesPath: Self.mergesPath)
        Self.cachedTokenizer = tokenizer
        return tokenizer
    }

    func reference() throws -> ReferenceBPE {
        _ = try tokenizer()
        if let reference = Self.cachedReference { return reference }
        let reference = try ReferenceBPE(vocabPath: Self.vocabPath, mergesPath: Self.mergesPath)
        Self.cachedReference = reference
        return reference
    }

    func fixture() throws -> Fixture {
        let url = Self.packageRoot.appendingPathComponent("Tests/ExtractTests/Fixtures/tokenizer_cases.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    /// Seeded strings over letters, digits, marks, punctuation, every kind of space, CJK and
    /// emoji — including unassigned code points, where fast and reference paths must still agree.
    static func fuzzStrings(count: Int, seed: UInt64) -> [String] {
        var rng = SplitMix64(seed: seed)
        let ranges: [ClosedRange<UInt32>] = [
            0x20...0x7E, 0x20...0x7E, 0x20...0x7E, 0x09...0x0D, 0x1C...0x20, 0x80...0x24F, 0x300...0x36F,
            0x370...0x6FF, 0x900...0x97F, 0x1680...0x1680, 0x180E...0x180E, 0x2000...0x206F, 0x3000...0x30FF,
            0x4E00...0x4E40, 0xFE00...0xFFFF, 0x10330...0x1034F, 0x1D400...0x1D7FF, 0x1F300...0x1FAFF, 0xE0000...0xE007F,
        ]
        let contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'RE", "'", " '"]
        return (0..<count).map { _ in
            var text = String.UnicodeScalarView()
            let length = Int(rng.next() % 40)
            for _ in 0..<length {
                if rng.next() % 10 == 0 {
                    text.append(contentsOf: contractions[Int(rng.next() % UInt64(contractions.count))].unicodeScalars)
                    continue
                }
                let range = ranges[Int(rng.next() % UInt64(ranges.count))]
                let value = range.lowerBound + UInt32(rng.next() % UInt64(range.count))
                if let scalar = Unicode.Scalar(value) { text.append(scalar) }
            }
            return String(text)
        }
    }

    // MARK: - Against tokenizers / tiktoken

    func testFixtureIDsMatchTokenizersAndTiktoken() throws {
        let tokenizer = try tokenizer()
        let fixture = try fixture()
        XCTAssertGreaterThan(fixture.cases.count, 90)
        for testCase in fixture.cases {
            XCTAssertEqual(tokenizer.encode(testCase.text), testCase.ids, "case \(testCase.name)")
            if let special = testCase.ids_allow_special {
                XCTAssertEqual(tokenizer.encode(testCase.text, allowSpecial: true), special, "case \(testCase.name), allowSpecial")
            }
        }
    }

    func testFixtureSpans() throws {
        let tokenizer = try tokenizer()
        for testCase in try fixture().cases {
            let spans = tokenizer.encodeWithSpans(testCase.text)
            XCTAssertEqual(spans.map(\.id), testCase.ids, "case \(testCase.name)")
            XCTAssertEqual(spans.map { [$0.byteStart, $0.byteEnd] }, testCase.byte_spans, "case \(testCase.name)")
        }
    }

    func testSpecialTokenOnlyWhenAllowed() throws {
        let tokenizer = try tokenizer()
        let text = "a<|endoftext|> b<|endoftext|>"
        XCTAssertFalse(tokenizer.encode(text).contains(GPT2Tokenizer.endOfTextID))
        let spans = tokenizer.encodeWithSpans(text, allowSpecial: true)
        XCTAssertEqual(spans.map(\.id), [64, 50256, 275, 50256])
        XCTAssertEqual(spans[1], TokenSpan(id: 50256, byteStart: 1, byteEnd: 14))
        XCTAssertEqual(spans[3], TokenSpan(id: 50256, byteStart: 16, byteEnd: 29))
        XCTAssertEqual(tokenizer.decode(spans.map(\.id)), text)
        XCTAssertEqual(tokenizer.tokenBytes(GPT2Tokenizer.endOfTextID), Array("<|endoftext|>".utf8))
    }

    func testWholeCorpusChecksum() throws {
        let tokenizer = try tokenizer()
        let corpus = try fixture().corpus
        let url = Self.dataDirectory.appendingPathComponent(corpus.path)
        guard let data = FileManager.default.contents(atPath: url.path) else { throw XCTSkip("\(url.path) not found") }
        XCTAssertEqual(data.count, corpus.byte_count)
        let ids = tokenizer.encode(String(decoding: data, as: UTF8.self))
        XCTAssertEqual(ids.count, corpus.token_count)
        XCTAssertEqual(Array(ids.prefix(32)), corpus.first_ids)
        XCTAssertEqual(Array(ids.suffix(32)), corpus.last_ids)
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for id in ids {
            for shift in stride(from: 0, to: 32, by: 8) {
                hash ^= UInt64((id >> UInt32(shift)) & 0xFF)
                hash = hash &* 0x100_0000_01B3
            }
        }
        XCTAssertEqual(String(hash, radix: 16).leftPadded(to: 16), corpus.fnv1a64_ids_le)
    }

    // MARK: - Span and round-trip properties

    func testSpansTileInputAndMatchTokenBytes() throws {
        let tokenizer = try tokenizer()
        let texts = try fixture().cases.map(\.text) + Self.fuzzStrings(count: 300, seed: 7)
        for text in texts {
            let utf8 = Array(text.utf8)
            let spans = tokenizer.encodeWithSpans(text)
            var expectedStart = 0
            var rebuilt: [UInt8] = []
            for span in spans {
                XCTAssertEqual(span.byteStart, expectedStart, "gap or overlap in \(text.debugDescription)")
                XCTAssertEqual(Array(utf8[span.byteStart..<span.byteEnd]), tokenizer.tokenBytes(span.id))
                rebuilt += tokenizer.tokenBytes(span.id)
                expectedStart = span.byteEnd
            }
            XCTAssertEqual(expectedStart, utf8.count)
            XCTAssertEqual(rebuilt, utf8)
            XCTAssertEqual(spans.map(\.id), tokenizer.encode(text))
        }
    }

    func testDecodeRoundTrips() throws {
        let tokenizer = try tokenizer()
        for text in try fixture().cases.map(\.text) + Self.fuzzStrings(count: 300, seed: 8) {
            let ids = tokenizer.encode(text)
            XCTAssertEqual(tokenizer.decode(ids), text)
            XCTAssertEqual(tokenizer.decodeBytes(ids), Array(text.utf8))
        }
        XCTAssertEqual(tokenizer.encode(""), [])
        XCTAssertEqual(tokenizer.encodeWithSpans(""), [])
        XCTAssertEqual(tokenizer.vocabularySize, 50257)
    }

    func testDecodeOfSplitCharacterIsLossy() throws {
        let tokenizer = try tokenizer()
        // "日" is E6 97 A5 and BPE splits it; its first token alone is not valid UTF-8.
        let ids = tokenizer.encode("日")
        XCTAssertGreaterThan(ids.count, 1)
        XCTAssertEqual(tokenizer.decode([ids[0]]), "\u{FFFD}")
        XCTAssertEqual(tokenizer.decode(ids), "日")
    }

    func testInvalidUTF8IsRepairedBeforeTokenizing() throws {
        let tokenizer = try tokenizer()
        // The documented corpus policy: decode with String(decoding:as:), one U+FFFD per maximal
        // invalid subpart (Python's errors="replace" gives 'a\ufffdb\ufffd\ufffd\ufffd' too).
        let text = String(decoding: [0x61, 0xE6, 0x97, 0x62, 0xFF, 0xC0, 0xAF] as [UInt8], as: UTF8.self)
        XCTAssertEqual(text, "a\u{FFFD}b\u{FFFD}\u{FFFD}\u{FFFD}")
        let spans = tokenizer.encodeWithSpans(text)
        XCTAssertEqual(spans.last?.byteEnd, text.utf8.count)
        XCTAssertEqual(text.utf8.count, 1 + 3 + 1 + 9)
    }

    // MARK: - Fast path against the plain reference

    func testScannerMatchesRegex() throws {
        let texts = try fixture().cases.map(\.text) + Self.fuzzStrings(count: 500, seed: 1)
        for text in texts {
            var copy = text
            let fast: [Range<Int>] = copy.withUTF8 { bytes in
                var scanner = PreTokenScanner(bytes)
                var ranges: [Range<Int>] = []
                while let range = scanner.next() { ranges.append(range) }
                return ranges
            }
            XCTAssertEqual(fast, ReferencePreTokenizer.split(text), "pre-tokens of \(text.debugDescription)")
        }
    }

    func testFastEncodeMatchesReferenceBPE() throws {
        let tokenizer = try tokenizer()
        let reference = try reference()
        for text in try fixture().cases.map(\.text) + Self.fuzzStrings(count: 300, seed: 2) {
            XCTAssertEqual(tokenizer.encode(text), reference.encode(text), "ids of \(text.debugDescription)")
        }
    }

    /// The word cache is a pure speed-up: with it off (every word through BPE) the ids are equal.
    func testEncodeWithoutWordCacheGivesTheSameIDs() throws {
        let tokenizer = try GPT2Tokenizer(vocabPath: Self.vocabPath, mergesPath: Self.mergesPath)
        let texts = try fixture().cases.map(\.text) + Self.fuzzStrings(count: 300, seed: 4)
        let cached = texts.map { tokenizer.encodeWithSpans($0) }
        tokenizer.usesWordCache = false
        XCTAssertEqual(texts.map { tokenizer.encodeWithSpans($0) }, cached)
    }

    func testLongWordHeapPathMatchesReference() throws {
        let tokenizer = try tokenizer()
        let reference = try reference()
        var rng = SplitMix64(seed: 3)
        let alphabets = ["ab", "abcdefghij", "0123456789", "=-", " \n", "anthropic", "日本"]
        for alphabet in alphabets {
            let scalars = Array(alphabet.unicodeScalars)
            for length in [BytePairMerger.heapThreshold + 1, 300, 1000] {
                var word = String.UnicodeScalarView()
                for _ in 0..<length { word.append(scalars[Int(rng.next() % UInt64(scalars.count))]) }
                let bytes = Array(String(word).utf8)
                var fast: [UInt32] = []
                bytes.withUnsafeBufferPointer { tokenizer.merger.encode($0, into: &fast) }
                XCTAssertEqual(fast, reference.encodeWord(bytes), "word of \(length) from \(alphabet.debugDescription)")
            }
        }
    }

    func testWordCacheGivesSameIDsWhenItFillsAndClears() throws {
        let tokenizer = try tokenizer()
        let cache = WordCache(entryCapacity: 8, keyByteCapacity: 64, idCapacity: 32)
        var scratch: [UInt32] = []
        let words = (0..<200).map { "word\($0 % 37)xyz" }
        for word in words {
            let bytes = Array(word.utf8)
            let cached = bytes.withUnsafeBufferPointer { word in
                cache.withIDs(of: word, encode: tokenizer.merger.encode, scratch: &scratch) { Array($0) }
            }
            XCTAssertEqual(cached, tokenizer.encode(word))
        }
        XCTAssertGreaterThan(cache.clearCount, 0)
    }

    func testConcurrentEncodeMatchesSerial() throws {
        let tokenizer = try tokenizer()
        let texts = try fixture().cases.map(\.text) + Self.fuzzStrings(count: 200, seed: 4)
        let serial = texts.map { tokenizer.encode($0) }
        let results = UnsafeMutableBufferPointer<[UInt32]>.allocate(capacity: texts.count * 4)
        results.initialize(repeating: [])
        // Deinitialize before deallocating: the arrays in the buffer hold references, and
        // without it every result leaked (LeakSanitizer's biggest direct leak, docs/RELIABILITY.md).
        defer { results.deinitialize(); results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: texts.count * 4) { index in
            results[index] = tokenizer.encode(texts[index % texts.count])
        }
        for index in 0..<(texts.count * 4) { XCTAssertEqual(results[index], serial[index % texts.count]) }
    }

    // MARK: - Bad files

    func temporaryFile(_ name: String, _ contents: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-tests-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try contents.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// vocab.json text with all 256 byte tokens plus `extra`, one entry per line.
    func byteVocabJSON(extra: [(String, Int)] = [], corruptLine: Int? = nil) -> String {
        var entries = (0..<256).map { ("\(String(ByteLevelAlphabet.scalarForByte[$0]))", $0) } + extra
        var lines = entries.enumerated().map { index, entry -> String in
            let key = entry.0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "  \"\(key)\": \(entry.1)" + (index + 1 < entries.count ? "," : "")
        }
        if let corruptLine { lines[corruptLine - 2] = lines[corruptLine - 2].replacingOccurrences(of: ":", with: "") }
        entries.removeAll()
        return "{\n" + lines.joined(separator: "\n") + "\n}\n"
    }

    func assertThrows(_ expected: TokenizerError, vocab: String, merges: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try GPT2Tokenizer(vocabPath: vocab, mergesPath: merges), file: file, line: line) { error in
            XCTAssertEqual(error as? TokenizerError, expected, file: file, line: line)
            XCTAssertTrue("\(error)".contains("Hint:"), file: file, line: line)
        }
    }

    func testSmallValidFilesLoad() throws {
        let vocab = try temporaryFile("ok-vocab.json", byteVocabJSON(extra: [("ab", 256), ("abc", 257)]))
        let merges = try temporaryFile("ok-merges.txt", "#version: 0.2\na b\nab c\n")
        let tokenizer = try GPT2Tokenizer(vocabPath: vocab, mergesPath: merges)
        XCTAssertEqual(tokenizer.vocabularySize, 258)
        XCTAssertEqual(tokenizer.encode("abc abd"), [257, 32, 256, 100])
    }

    func testBadVocabErrorsNameFileAndLine() throws {
        let merges = try temporaryFile("merges.txt", "a b\n")
        let missing = "/nonexistent/vocab.json"
        XCTAssertThrowsError(try GPT2Tokenizer(vocabPath: missing, mergesPath: merges)) { error in
            guard case .unreadableFile(let path, _)? = error as? TokenizerError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, missing)
        }

        let broken = try temporaryFile("broken-vocab.json", byteVocabJSON(corruptLine: 40))
        assertThrows(.malformedVocab(path: broken, line: 40, column: 7, expected: "':' after a token string"), vocab: broken, merges: merges)

        let truncated = try temporaryFile("truncated-vocab.json", "{\"a\": 1,\n\"b\": ")
        assertThrows(.malformedVocab(path: truncated, line: 2, column: 6, expected: "a non-negative integer id"), vocab: truncated, merges: merges)

        let negative = try temporaryFile("negative-vocab.json", "{\"a\": -1}")
        assertThrows(.malformedVocab(path: negative, line: 1, column: 7, expected: "a non-negative integer id"), vocab: negative, merges: merges)

        let notByteLevel = try temporaryFile("space-vocab.json", byteVocabJSON(extra: [("a b", 256)]))
        assertThrows(.tokenNotByteLevel(path: notByteLevel, token: "a b"), vocab: notByteLevel, merges: merges)

        let duplicate = try temporaryFile("dup-vocab.json", byteVocabJSON(extra: [("ab", 97)]))
        assertThrows(.duplicateVocabEntry(path: duplicate, token: "ab", id: 97), vocab: duplicate, merges: merges)

        let noBytes = try temporaryFile("nobytes-vocab.json", "{\"a\": 0}")
        assertThrows(.missingByteToken(path: noBytes, byte: 0), vocab: noBytes, merges: merges)
    }

    func testBadMergesErrorsNameFileAndLine() throws {
        let vocab = try temporaryFile("vocab.json", byteVocabJSON(extra: [("ab", 256)]))
        let threeParts = try temporaryFile("three-merges.txt", "#version: 0.2\na b\na b c\n")
        assertThrows(.malformedMerge(path: threeParts, line: 3, text: "a b c"), vocab: vocab, merges: threeParts)

        let blank = try temporaryFile("blank-merges.txt", "a b\n\na b\n")
        assertThrows(.malformedMerge(path: blank, line: 2, text: ""), vocab: vocab, merges: blank)

        let unknown = try temporaryFile("unknown-merges.txt", "a b\nab zz\n")
        assertThrows(.mergeTokenNotInVocab(path: unknown, line: 2, token: "zz"), vocab: vocab, merges: unknown)

        let unmerged = try temporaryFile("unmerged-merges.txt", "a b\nb c\n")
        assertThrows(.mergeTokenNotInVocab(path: unmerged, line: 2, token: "bc"), vocab: vocab, merges: unmerged)
    }
}



extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
