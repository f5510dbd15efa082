import Foundation
import XCTest
@testable import Extract

/// tokenizer.json tokenizers against ids, offsets and decodes from the `tokenizers` library
/// (scripts/fixtures/tokenizer_json_fixture.py: one small trained tokenizer per family style),
/// and the fast path against the plain reference (Swift Regex + textbook BPE).
final class TokenizerJSONTests: XCTestCase {
    static let fixtureRoot = TokenizerTests.packageRoot.appendingPathComponent("Tests/ExtractTests/Fixtures/tokenizer-json")
    static let kinds = ["neox", "llama3", "qwen2", "smollm", "gemma", "llama2", "metaspace", "spunk"]
    static let byteLevelKinds: Set<String> = ["neox", "llama3", "qwen2", "smollm"]

    struct Fixture: Decodable {
        struct Case: Decodable {
            let name: String
            let text: String
            let ids: [UInt32]
            let hf_byte_offsets: [[Int]]
            let decoded: String
            let ids_allow_special: [UInt32]?
            let raw_utf8_hex: String?
        }
        let kind: String
        let with_bos: [UInt32]
        let cases: [Case]
    }

    func load(_ kind: String) throws -> (HFTokenizer, Fixture) {
        let directory = Self.fixtureRoot.appendingPathComponent(kind)
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: directory.appendingPathComponent("cases.json")))
        return (try HFTokenizer(directory: directory.path), fixture)
    }

    func testIDsMatchTokenizersLibrary() throws {
        for kind in Self.kinds {
            let (tokenizer, fixture) = try load(kind)
            XCTAssertGreaterThan(fixture.cases.count, 40, kind)
            for testCase in fixture.cases {
                XCTAssertEqual(tokenizer.encode(testCase.text), testCase.ids, "\(kind)/\(testCase.name)")
                XCTAssertEqual(tokenizer.encode(testCase.text, allowSpecial: true), testCase.ids_allow_special ?? testCase.ids,
                               "\(kind)/\(testCase.name) with special tokens")
            }
        }
    }

    func testDecodeMatchesTokenizersLibrary() throws {
        for kind in Self.kinds {
            let (tokenizer, fixture) = try load(kind)
            for testCase in fixture.cases {
                XCTAssertEqual(tokenizer.decode(testCase.ids), testCase.decoded, "\(kind)/\(testCase.name)")
            }
        }
    }

    /// Spans tile the input and lie inside the offsets `tokenizers` reports; where nothing was
    /// normalized, a byte-level token's span holds exactly its bytes.
    func testSpansTileTheInputInsideLibraryOffsets() throws {
        for kind in Self.kinds {
            let (tokenizer, fixture) = try load(kind)
            for testCase in fixture.cases {
                let spans = tokenizer.encodeWithSpans(testCase.text)
                XCTAssertEqual(spans.map(\.id), testCase.ids, "\(kind)/\(testCase.name)")
                let utf8 = Array(testCase.text.utf8)
                var position = 0
                for (index, span) in spans.enumerated() {
                    XCTAssertEqual(span.byteStart, position, "\(kind)/\(testCase.name) token \(index)")
                    position = span.byteEnd
                    guard index < testCase.hf_byte_offsets.count else { continue }
                    let library = testCase.hf_byte_offsets[index]
                    // NFC kinds: `tokenizers` maps inside a recomposed character more finely.
                    let unchanged = testCase.text.precomposedStringWithCanonicalMapping.utf8.elementsEqual(testCase.text.utf8)
                    if span.byteEnd > span.byteStart && (unchanged || !["neox", "qwen2"].contains(kind)) {
                        XCTAssertTrue(library[0] <= span.byteStart && span.byteEnd <= library[1],
                                      "\(kind)/\(testCase.name) token \(index): \(span) outside \(library)")
                    }
                    if Self.byteLevelKinds.contains(kind) && unchanged {
                        // An lstrip/rstrip added token's span also holds the whitespace it took.
                        let covered = Array(utf8[span.byteStart..<span.byteEnd]), bytes = tokenizer.tokenBytes(span.id)
                        XCTAssertTrue(covered == bytes || (covered.starts(with: bytes) && covered.dropFirst(bytes.count).allSatisfy { $0 == 0x20 }),
                                      "\(kind)/\(testCase.name) token \(index): \(covered) vs \(bytes)")
                    }
                }
                XCTAssertEqual(position, utf8.count, "\(kind)/\(testCase.name)")
            }
        }
    }

    func testInvalidUTF8IsRepairedBeforeTokenizing() throws {
        for kind in Self.kinds {
            let (tokenizer, fixture) = try load(kind)
            let testCase = try XCTUnwrap(fixture.cases.first { $0.raw_utf8_hex != nil })
            let hex = Array(testCase.raw_utf8_hex!.utf8)
            let raw = stride(from: 0, to: hex.count, by: 2).map { UInt8(String(decoding: hex[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
            let repaired = String(decoding: raw, as: UTF8.self)
            XCTAssertEqual(repaired, testCase.text)
            XCTAssertEqual(tokenizer.encode(repaired), testCase.ids, kind)
        }
    }

    func testBOSAndEOSComeFromTheModelConfig() throws {
        for kind in Self.kinds {
            let (tokenizer, fixture) = try load(kind)
            let config = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtureRoot.appendingPathComponent("\(kind)/config.json"))) as! [String: Int]
            XCTAssertEqual(tokenizer.bosTokenID.map(Int.init), config["bos_token_id"], kind)
            XCTAssertEqual(tokenizer.eosTokenIDs.map(Int.init), [config["eos_token_id"]!], kind)
            let plain = tokenizer.encode("Hello")
            XCTAssertEqual(tokenizer.addsBOSToken, fixture.with_bos.count > plain.count, kind)
            XCTAssertEqual((tokenizer.addsBOSToken ? [tokenizer.bosTokenID!] : []) + plain, fixture.with_bos, kind)
        }
    }

    func testFastPathEqualsReference() throws {
        let fuzz = TokenizerTests.fuzzStrings(count: 300, seed: 18)
        for kind in Self.kinds {
            let (tokenizer, fixture) = try load(kind)
            let reference = try ReferenceTokenizerJSON(tokenizerPath: Self.fixtureRoot.appendingPathComponent("\(kind)/tokenizer.json").path)
            for text in fixture.cases.map(\.text) + fuzz {
                XCTAssertEqual(tokenizer.encode(text), reference.encode(text, allowSpecial: false), "\(kind): \(text.debugDescription)")
                XCTAssertEqual(tokenizer.encode(text, allowSpecial: true), reference.encode(text, allowSpecial: true), "\(kind): \(text.debugDescription)")
            }
        }
    }

    /// The hand scanners split exactly as the patterns do under Swift Regex.
    func testScannersEqualRegex() throws {
        let fuzz = TokenizerTests.fuzzStrings(count: 2000, seed: 1818)
            + ["'ſx 'Sx 'sx 'REx 'rEx WE'LL", " \u{3000}x \u{301}abc \u{a0}\u{a0}x \t\n y", "\n\n  x\r\n\t\ty", "12345678 !!!\n\nx", "\u{85}x\u{2028}\u{2029} x"]
        for (maxDigits, pattern) in [(3, TokenizerSpec.llama3Pattern), (1, TokenizerSpec.qwen2Pattern)] {
            let regex = try XCTUnwrap(RegexPreTokenizer(pattern: pattern))
            for text in fuzz {
                var text = text
                let scanned: [Range<Int>] = text.withUTF8 { bytes in
                    var scanner = Llama3PreTokenScanner(bytes, maxDigits: maxDigits)
                    var pieces: [Range<Int>] = []
                    while let piece = scanner.next() { pieces.append(piece) }
                    return pieces
                }
                XCTAssertEqual(scanned, regex.split(text), "\(maxDigits): \(text.debugDescription)")
            }
        }
    }

    /// "Å" as U+00C5 and as U+212B ANGSTROM SIGN are canonically equivalent, so equal as Swift
    /// Strings; as two vocabulary entries they must stay two tokens.
    func testCanonicallyEquivalentTokensStayDistinct() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokjson-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = try String(contentsOf: Self.fixtureRoot.appendingPathComponent("spunk/tokenizer.json"), encoding: .utf8)
        let (tokenizer, _) = try load("spunk")
        let first = tokenizer.vocabularySize
        let edited = original.replacingOccurrences(of: "\"vocab\":{", with: "\"vocab\":{\"\\u212B\":\(first),\"\\u00C5\":\(first + 1),")
        let path = directory.appendingPathComponent("tokenizer.json").path
        try edited.write(toFile: path, atomically: true, encoding: .utf8)
        let both = try HFTokenizer(tokenizerPath: path)
        XCTAssertEqual(both.vocabularySize, first + 2)
        XCTAssertEqual(both.encode("\u{212B}\u{00C5}").suffix(2), [UInt32(first), UInt32(first + 1)])
        let reference = try ReferenceTokenizerJSON(tokenizerPath: path)
        XCTAssertEqual(reference.encode("\u{212B}\u{00C5}", allowSpecial: false), both.encode("\u{212B}\u{00C5}"))
    }

    func testBadFilesNameTheFileAndPosition() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokjson-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = try String(contentsOf: Self.fixtureRoot.appendingPathComponent("llama3/tokenizer.json"), encoding: .utf8)
        let path = directory.appendingPathComponent("tokenizer.json").path
        func load(_ text: String) -> Error? {
            try? text.write(toFile: path, atomically: true, encoding: .utf8)
            do { _ = try HFTokenizer(tokenizerPath: path); return nil } catch { return error }
        }
        XCTAssertEqual(load("{\"model\": ") as? TokenizerJSONError, .notJSON(path: path, reason: (load("{\"model\": ") as? TokenizerJSONError).map { if case let .notJSON(_, reason) = $0 { return reason } else { return "" } } ?? ""))
        var spec = try JSONSerialization.jsonObject(with: Data(original.utf8)) as! [String: Any]
        spec["normalizer"] = ["type": "NFKC"]
        let nfkc = String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)
        XCTAssertEqual(load(nfkc) as? TokenizerJSONError, .unsupported(path: path, at: "normalizer.type", what: "the NFKC normalizer"))
        spec["normalizer"] = NSNull()
        var model = spec["model"] as! [String: Any]
        var merges = model["merges"] as! [Any]
        merges[3] = ["Ġthe", "zzz-not-a-token"]
        model["merges"] = merges
        spec["model"] = model
        let badMerge = String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)
        XCTAssertEqual(load(badMerge) as? TokenizerJSONError, .unknownToken(path: path, at: "model.merges[3]", token: "zzz-not-a-token"))
        merges[3] = "just-one-token"
        model["merges"] = merges
        spec["model"] = model
        let oneToken = String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)
        XCTAssertEqual(load(oneToken) as? TokenizerJSONError, .malformed(path: path, at: "model.merges[3]", expected: "two tokens separated by one space"))
        model["type"] = "Unigram"
        spec["model"] = model
        let unigram = String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)
        XCTAssertEqual(load(unigram) as? TokenizerJSONError, .unsupported(path: path, at: "model.type", what: "the Unigram model (only BPE is implemented)"))
        XCTAssertTrue("\(load(unigram)!)".contains(path))
    }
}
