import TensorIO
import CZlib
import CZstd
import Foundation
import XCTest
@testable import Extract

/// JSON lines: escapes, bad-line accounting, strict mode, size limits, and the fast JSON line
/// parser against `JSONSerialization`.
final class JSONLineTests: CorpusTestCase {
    // MARK: JSON

    func testEscapesSurrogatePairsAndNesting() throws {
        let lines = [
            #"{"text": "quote \" backslash \\ slash \/ \b\f\n\r\t end"}"#,
            #"{"text": "\u00e9\u00E9 \u6771\u4eac \ud83d\ude00 \uD835\uDD18 \u0000nul"}"#,
            #"{"meta": {"text": "nested"}, "tags": ["text", {"text": 1}], "te\u0078t": "escaped key"}"#,
            #"{"text": "first", "text": "last wins"}"#,
            "{\"text\": \"raw UTF-8 é 東京 😀\"}",
            #"  {  "a" : -0.5e+10 , "b":true,"c":false,"d":null , "text" : "spaces" }  "#,
            #"{"text": "lone \ud800 high and \udc00 low"}"#,
        ]
        let path = try write("escapes.jsonl", lines.joined(separator: "\n"))
        let (documents, reader) = try readAll(path)
        XCTAssertEqual(documents.map(\.text), [
            "quote \" backslash \\ slash / \u{8}\u{C}\n\r\t end",
            "éé 東京 😀 𝔘 \u{0}nul",
            "escaped key",
            "last wins",
            "raw UTF-8 é 東京 😀",
            "spaces",
            "lone \u{FFFD} high and \u{FFFD} low",
        ])
        XCTAssertEqual(reader.badLineCount, 0)
        XCTAssertEqual(reader.warningCount, 1)
        XCTAssertEqual(reader.warnings.first?.line, 7)
        XCTAssertEqual(reader.warnings.first?.reason, .replacedLoneSurrogate)
    }

    func testBadLinesAreCountedWithLineNumbersAndReasons() throws {
        var lines: [[UInt8]] = [
            Array(#"{"text": "good 0"}"#.utf8),
            Array(#"{"text": "good 1""#.utf8),                       // 2: unterminated object
            Array(#"{"body": "no text field"}"#.utf8),               // 3
            Array(#"{"text": 42}"#.utf8),                             // 4
            Array(#"["text", "array"]"#.utf8),                        // 5
            [],                                                       // 6: empty, silent
            Array("   \t ".utf8),                                     // 7: blank, silent
            Array(#"{"text": "   \n  "}"#.utf8),                      // 8: whitespace text, silent
            Array(#"{"text": "bad \x escape"}"#.utf8),                // 9
            Array(#"{"text": "good 9"} trailing"#.utf8),              // 10
            Array(#"{"text": "ok"},"#.utf8),                          // 11
            Array(#"{"text": "good 11"}"#.utf8),
        ]
        lines.append(Array(#"{"text": "bad utf8 "#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)) // 13
        lines.append(Array(#"{"text": "overlong "#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8)) // 14
        lines.append(Array(#"{"text": "surrogate in UTF-8 "#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8)) // 15
        lines.append(Array("{\"text\": \"raw\ttab\"}".utf8))         // 16
        lines.append(Array(#"{"text": "last good"}"#.utf8))
        let bytes = Array(lines.joined(separator: [0x0A]))
        for path in [try write("bad.jsonl", bytes), try write("bad.jsonl.zst", zstdFrames(pieces(bytes, 2)))] {
            let (documents, reader) = try readAll(path, CorpusOptions(blockBytes: 8))
            XCTAssertEqual(documents.map(\.text), ["good 0", "good 11", "last good"])
            XCTAssertEqual(documents.map(\.index), [0, 11, 16])
            XCTAssertEqual(reader.badLineCount, 11)
            XCTAssertEqual(reader.badLines.map(\.line), [2, 3, 4, 5, 9, 10, 11, 13, 14, 15, 16])
            XCTAssertEqual(reader.badLines.map(\.documentIndex), reader.badLines.map { $0.line - 1 })
            XCTAssertEqual(reader.badLines.map(\.reason)[1...3], [.missingField("text"), .fieldNotString("text", found: "a number"),
                                                                  .notAnObject(found: "an array")])
            XCTAssertEqual(reader.badLines[0].reason, .invalidJSON(column: 18, expected: "',' or '}' after an object value"))
            XCTAssertEqual(reader.badLines[7].reason, .invalidUTF8(column: 20))
            XCTAssertEqual(reader.badLines[8].reason, .invalidUTF8(column: 20))
            XCTAssertEqual(reader.badLines[9].reason, .invalidUTF8(column: 30))
            guard case .invalidJSON = reader.badLines[10].reason else { return XCTFail("\(reader.badLines[10])") }
            XCTAssertEqual(reader.badLines.map(\.source), Array(repeating: path, count: 11))
            XCTAssertEqual(reader.badLines[1].description, "\(path):3: no top-level \"text\" field")
        }
    }

    func testOnlyTheFirstHundredBadLinesAreKept() throws {
        let bytes = Array((0..<250).map { $0 % 2 == 0 ? "not json \($0)" : #"{"text": "ok"}"# }.joined(separator: "\n").utf8)
        let (documents, reader) = try readAll(try write("many-bad.jsonl", bytes))
        XCTAssertEqual(documents.count, 125)
        XCTAssertEqual(reader.badLineCount, 125)
        XCTAssertEqual(reader.badLines.count, CorpusReader.keptIssueCount)
        XCTAssertEqual(reader.badLines.last?.line, 199)
    }

    func testStrictModeThrowsWithFileAndLine() throws {
        let path = try write("strict.jsonl", "{\"text\": \"a\"}\n\n{\"text\": \"b\"}\n{\"title\": \"c\"}\n{\"text\": \"d\"}\n")
        let reader = try CorpusReader(path: path, options: CorpusOptions(strict: true))
        XCTAssertEqual(try reader.next()?.text, "a")
        XCTAssertEqual(try reader.next()?.text, "b")
        XCTAssertThrowsError(try reader.next()) { error in
            guard case let .badLine(bad)? = error as? CorpusError else { return XCTFail("\(error)") }
            XCTAssertEqual(bad.line, 4)
            XCTAssertEqual(bad.reason, .missingField("text"))
            XCTAssertTrue("\(error)".hasPrefix("\(path):4: no top-level \"text\" field"), "\(error)")
        }
        // A bad line is the caller's to stop on; the stream itself is intact.
        XCTAssertEqual(try reader.next()?.text, "d")
        // With another text field the same file is clean.
        XCTAssertEqual(try readAll(path, CorpusOptions(textField: "title", strict: false)).documents.map(\.text), ["c"])
    }

    func testMaxDocumentBytesDiscardsLongRecords() throws {
        let long = String(repeating: "x", count: 5000)
        let bytes = Array("{\"text\": \"short\"}\n{\"text\": \"\(long)\"}\n{\"text\": \"after\"}\n{\"text\": \"\(long)\"}".utf8)
        for path in [try write("long.jsonl", bytes), try write("long.jsonl.gz", gzipMembers([bytes]))] {
            // A block far below the line: the long lines are dropped as they stream past.
            let (documents, reader) = try readAll(path, CorpusOptions(maxDocumentBytes: 100, blockBytes: 16))
            XCTAssertEqual(documents.map(\.text), ["short", "after"])
            XCTAssertEqual(documents.map(\.index), [0, 2])
            XCTAssertEqual(reader.badLines.map(\.reason), [.tooLong(byteCount: 5012, limit: 100), .tooLong(byteCount: 5012, limit: 100)])
            XCTAssertEqual(reader.badLines.map(\.line), [2, 4])
            XCTAssertEqual(reader.badLines.map(\.byteOffset), [18, 5031 + 18])
            // Exactly at the limit is allowed; the limit counts the raw line.
            XCTAssertEqual(try readAll(path, CorpusOptions(maxDocumentBytes: 5012, blockBytes: 16)).documents.count, 4)
            XCTAssertThrowsError(try readAll(path, CorpusOptions(strict: true, maxDocumentBytes: 5011))) { error in
                guard case let .badLine(bad)? = error as? CorpusError else { return XCTFail("\(error)") }
                XCTAssertEqual(bad.line, 2)
            }
        }
        // Plain text: the whole file as one document obeys the limit too.
        let textPath = try write("big.txt", long)
        let (textDocuments, textReader) = try readAll(textPath, CorpusOptions(maxDocumentBytes: 4096, blockBytes: 100))
        XCTAssertEqual(textDocuments.count, 0)
        XCTAssertEqual(textReader.badLines.map(\.reason), [.tooLong(byteCount: 5000, limit: 4096)])
        XCTAssertTrue(textReader.badLines[0].description.contains("maxDocumentBytes"))
    }

    // MARK: fast parser vs reference

    func testJSONLineParserMatchesJSONSerialization() throws {
        var rng = SeededGenerator(seed: 6)
        var parser = JSONLineParser(field: "text")
        let texts = sampleTexts(count: 400, seed: 7, maxWords: 12)
        var agreedRejections = 0
        for (index, text) in texts.enumerated() {
            let lines = jsonl([text], escapeNonASCII: index % 2 == 0)
            let line = Array(lines.dropLast())
            let fast = line.withUnsafeBufferPointer { parser.parse($0) }
            XCTAssertEqual(fast, .text(text, replacedLoneSurrogate: false))
            XCTAssertEqual(ReferenceJSONLineParser.text(ofLine: line, field: "text"), text)

            // Mutations: drop, duplicate or replace a byte (ASCII only, so Foundation's UTF-8
            // handling is not what is compared). The fast parser must be at least as strict as
            // Foundation (which takes trailing commas) and agree on the text whenever it accepts.
            for _ in 0..<4 {
                var mutated = line
                let position = Int.random(in: 0..<mutated.count, using: &rng)
                guard mutated[position] < 0x80 else { continue }
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: mutated.remove(at: position)
                case 1: mutated.insert(mutated[position], at: position)
                default: mutated[position] = Array(#"{}[]":,\ "0e-.ntx"#.utf8).randomElement(using: &rng)!
                }
                let reference = ReferenceJSONLineParser.text(ofLine: mutated, field: "text")
                let outcome = mutated.withUnsafeBufferPointer { parser.parse($0) }
                switch outcome {
                case let .text(parsed, replacedLoneSurrogate):
                    // Foundation rejects a lone surrogate escape; the reader keeps the line (a warning).
                    if !replacedLoneSurrogate { XCTAssertEqual(parsed, reference, String(decoding: mutated, as: UTF8.self)) }
                case .bad:
                    if reference == nil { agreedRejections += 1 }
                }
            }
        }
        XCTAssertGreaterThan(agreedRejections, 400, "mutations must mostly break the lines for both parsers")
    }

    /// The eight-bytes-at-a-time string scan against a plain per-byte test: the lowest flagged
    /// byte must be exactly the first quote, backslash, control or non-ASCII byte.
    func testSpecialByteMaskFindsTheFirstSpecialByte() {
        var rng = SeededGenerator(seed: 8)
        let interesting: [UInt8] = [0x00, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xC3, 0xFF, 0x61]
        func isSpecial(_ byte: UInt8) -> Bool { byte == 0x22 || byte == 0x5C || byte < 0x20 || byte >= 0x80 }
        for trial in 0..<20_000 {
            let bytes: [UInt8] = (0..<8).map { _ in
                trial % 2 == 0 ? interesting.randomElement(using: &rng)! : UInt8.random(in: 0x20...0x7E, using: &rng)
            }
            let word = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
            let mask = JSONLineParser.specialByteMask(word)
            let expected = bytes.firstIndex(where: isSpecial)
            XCTAssertEqual(mask == 0 ? nil : mask.trailingZeroBitCount >> 3, expected, "\(bytes)")
        }
    }

    func testNestingDepthIsBounded() throws {
        var parser = JSONLineParser(field: "text")
        let deep = Array(("{\"a\": " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + ", \"text\": \"t\"}").utf8)
        guard case let .bad(reason) = deep.withUnsafeBufferPointer({ parser.parse($0) }) else { return XCTFail("accepted") }
        XCTAssertEqual(reason, .invalidJSON(column: 6 + JSONLineParser.maxNestingDepth, expected: "nesting no deeper than 512"))
        let ok = Array(("{\"a\": " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + ", \"text\": \"t\"}").utf8)
        XCTAssertEqual(ok.withUnsafeBufferPointer { parser.parse($0) }, .text("t", replacedLoneSurrogate: false))
    }
}
