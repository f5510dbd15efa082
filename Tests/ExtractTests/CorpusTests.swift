import TensorIO
import CZlib
import CZstd
import Foundation
import XCTest
@testable import Extract

/// Corpus readers: block-boundary splits, CRLF, multi-frame zstd and multi-member gzip,
/// JSON escapes, bad-line accounting, strict mode, size limits, resume, plain text, truncated
/// files, and the fast JSON line parser against `JSONSerialization`.
final class CorpusTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let tinyShakespearePath = packageRoot.appendingPathComponent("../shared/data/corpora/tinyshakespeare.txt").standardizedFileURL.path

    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("corpus-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: helpers

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }

    /// One zstd frame per piece, back to back, with content checksums as the zstd CLI writes them.
    func zstdFrames(_ pieces: [[UInt8]]) -> [UInt8] {
        let context = ZSTD_createCCtx()
        defer { ZSTD_freeCCtx(context) }
        ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
        var out: [UInt8] = []
        for piece in pieces {
            var frame = [UInt8](repeating: 0, count: ZSTD_compressBound(piece.count))
            let written = frame.withUnsafeMutableBytes { dst in
                piece.withUnsafeBytes { src in ZSTD_compress2(context, dst.baseAddress, dst.count, src.baseAddress, src.count) }
            }
            precondition(ZSTD_isError(written) == 0, "ZSTD_compress failed")
            out += frame.prefix(written)
        }
        return out
    }

    /// One gzip member per piece, back to back (what `cat a.gz b.gz` or pigz produce).
    func gzipMembers(_ pieces: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for piece in pieces {
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            defer { deflateEnd(stream); stream.deallocate() }
            precondition(deflateInit2_(stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
            var input = piece
            var member = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(piece.count))) + 64)
            let status = input.withUnsafeMutableBufferPointer { src in
                member.withUnsafeMutableBufferPointer { dst in
                    stream.pointee.next_in = src.baseAddress
                    stream.pointee.avail_in = uInt(src.count)
                    stream.pointee.next_out = dst.baseAddress
                    stream.pointee.avail_out = uInt(dst.count)
                    return deflate(stream, Z_FINISH)
                }
            }
            precondition(status == Z_STREAM_END, "deflate failed: \(status)")
            out += member.prefix(Int(stream.pointee.total_out))
        }
        return out
    }

    /// Splits `bytes` into `count` pieces at arbitrary (mid-line) positions.
    func pieces(_ bytes: [UInt8], _ count: Int) -> [[UInt8]] {
        (0..<count).map { Array(bytes[bytes.count * $0 / count ..< bytes.count * ($0 + 1) / count]) }
    }

    func readAll(_ path: String, _ options: CorpusOptions = CorpusOptions()) throws -> (documents: [CorpusDocument], reader: CorpusReader) {
        let reader = try CorpusReader(path: path, options: options)
        var documents: [CorpusDocument] = []
        while let document = try reader.next() { documents.append(document) }
        return (documents, reader)
    }

    /// JSON string literal for `text`; non-ASCII as raw UTF-8 or as \u escapes (with surrogate pairs).
    func jsonString(_ text: String, escapeNonASCII: Bool) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            case _ where scalar.value >= 0x80 && escapeNonASCII:
                for unit in String(scalar).utf16 { out += String(format: "\\u%04X", unit) }
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Seeded documents of varied length: ASCII words, newlines, quotes, accents, CJK and emoji.
    func sampleTexts(count: Int, seed: UInt64, maxWords: Int = 60) -> [String] {
        var rng = SeededGenerator(seed: seed)
        let words = ["the", "Ünïcødé", "naïve", "\"quoted\"", "back\\slash", "tab\there", "line\nbreak", "東京", "😀🎉", "a/b",
                     "\u{1}ctl", "𝔘𝔫𝔦", "end.", "CRLF\r\nin text", "—", "x"]
        return (0..<count).map { _ in
            (0..<Int.random(in: 1...maxWords, using: &rng)).map { _ in words.randomElement(using: &rng)! }.joined(separator: " ")
        }
    }

    func jsonl(_ texts: [String], escapeNonASCII: Bool = false, lineEnding: String = "\n") -> [UInt8] {
        Array(texts.enumerated().map { index, text in
            "{\"id\": \(index), \"meta\": {\"text\": \"nested, ignored\", \"list\": [1, 2.5e-3, null, true]}, \"text\": \(jsonString(text, escapeNonASCII: escapeNonASCII))}"
        }.joined(separator: lineEnding).utf8) + Array(lineEnding.utf8)
    }

    // MARK: streaming and compression

    func testJSONLSplitsAcrossBlockBoundariesInEveryCompression() throws {
        let texts = sampleTexts(count: 40, seed: 1, maxWords: 200)
        let bytes = jsonl(texts)
        var lineStarts = [0]
        for (offset, byte) in bytes.enumerated() where byte == 0x0A { lineStarts.append(offset + 1) }
        let files = [try write("plain.jsonl", bytes),
                     try write("one.jsonl.zst", zstdFrames([bytes])),
                     try write("one.jsonl.gz", gzipMembers([bytes]))]
        // Block sizes far below the line length (~1-3 KB) force every line across several blocks.
        for path in files {
            for blockBytes in [1, 7, 64, 1000, 1 << 20] {
                let (documents, reader) = try readAll(path, CorpusOptions(blockBytes: blockBytes))
                XCTAssertEqual(documents.map(\.text), texts, "\(path) block \(blockBytes)")
                XCTAssertEqual(documents.map(\.index), Array(0..<texts.count))
                XCTAssertEqual(documents.map(\.byteOffset), Array(lineStarts.prefix(texts.count)))
                XCTAssertEqual(documents.map(\.source), Array(repeating: path, count: texts.count))
                XCTAssertEqual(reader.badLineCount, 0)
                XCTAssertEqual(reader.decompressedBytesRead, bytes.count)
                XCTAssertEqual(reader.fileBytesRead, reader.fileByteCount)
            }
        }
    }

    func testMultiFrameZstdAndMultiMemberGzipReadAsOneStream() throws {
        let texts = sampleTexts(count: 300, seed: 2)
        let bytes = jsonl(texts)
        // Pieces cut mid-line, so a line also straddles frames / members.
        let zst = try write("multi.jsonl.zst", zstdFrames(pieces(bytes, 7)))
        let gz = try write("multi.jsonl.gz", gzipMembers(pieces(bytes, 7)))
        for path in [zst, gz] {
            for blockBytes in [100, 1 << 20] {
                let (documents, reader) = try readAll(path, CorpusOptions(blockBytes: blockBytes))
                XCTAssertEqual(documents.map(\.text), texts, path)
                XCTAssertEqual(reader.decompressedBytesRead, bytes.count)
            }
        }
        // An empty frame and an empty member in the middle are legal and produce nothing.
        let withEmpty = try write("empty-parts.jsonl.zst", zstdFrames([Array(bytes.prefix(50)), [], Array(bytes.dropFirst(50))]))
        XCTAssertEqual(try readAll(withEmpty).documents.map(\.text), texts)
        let withEmptyGz = try write("empty-parts.jsonl.gz", gzipMembers([Array(bytes.prefix(50)), [], Array(bytes.dropFirst(50))]))
        XCTAssertEqual(try readAll(withEmptyGz).documents.map(\.text), texts)
    }

    func testCRLFLineEndings() throws {
        let texts = sampleTexts(count: 20, seed: 3)
        let path = try write("crlf.jsonl", jsonl(texts, lineEnding: "\r\n"))
        let (documents, reader) = try readAll(path, CorpusOptions(blockBytes: 5))
        XCTAssertEqual(documents.map(\.text), texts)
        XCTAssertEqual(reader.badLineCount, 0)

        // Plain text keeps its bytes; a CRLF file is split with a CRLF separator.
        let textPath = try write("crlf.txt", "first doc\r\nline two\r\n\r\nsecond\r\n\r\n\r\n\r\nthird")
        let text = try readAll(textPath, CorpusOptions(separator: "\r\n\r\n", blockBytes: 3)).documents
        XCTAssertEqual(text.map(\.text), ["first doc\r\nline two", "second", "third"])
        XCTAssertEqual(text.map(\.index), [0, 1, 3])
    }

    func testTruncatedCompressedFilesThrowClearErrors() throws {
        let bytes = jsonl(sampleTexts(count: 200, seed: 4))
        let zst = zstdFrames(pieces(bytes, 3))
        let gz = gzipMembers(pieces(bytes, 3))
        for (name, data, codec) in [("cut.jsonl.zst", zst, CorpusCompression.zstd), ("cut.jsonl.gz", gz, .gzip)] {
            for cut in [1, 5, data.count / 2, data.count - 1] {
                let path = try write(name, Array(data.prefix(data.count - cut)))
                XCTAssertThrowsError(try readAll(path), "\(name) cut by \(cut)") { error in
                    guard let error = error as? CorpusError else { return XCTFail("\(error)") }
                    switch error {
                    case let .truncated(errorPath, errorCodec, _), let .decompressionFailed(errorPath, errorCodec, _, _):
                        XCTAssertEqual(errorPath, path)
                        XCTAssertEqual(errorCodec, codec)
                    default: XCTFail("\(name) cut by \(cut): \(error)")
                    }
                    XCTAssertTrue(error.description.contains(path))
                }
            }
        }
        // Cut inside the last frame: the documents before the cut come out, then the error.
        let path = try write("late-cut.jsonl.zst", Array(zst.prefix(zst.count - 3)))
        let reader = try CorpusReader(path: path)
        var count = 0
        XCTAssertThrowsError(try { while try reader.next() != nil { count += 1 } }()) { error in
            guard case .truncated? = error as? CorpusError else { return XCTFail("\(error)") }
        }
        XCTAssertGreaterThan(count, 0)
        XCTAssertThrowsError(try reader.next(), "the error repeats rather than pretending the file ended")

        // Damage and trailing garbage are errors too, and an empty compressed file is not a stream.
        var damaged = zst
        damaged[damaged.count / 2] ^= 0xFF
        XCTAssertThrowsError(try readAll(try write("damaged.jsonl.zst", damaged)))
        XCTAssertThrowsError(try readAll(try write("garbage.jsonl.gz", gz + Array("not gzip".utf8)))) { error in
            XCTAssertTrue("\(error)".contains("trailing data"), "\(error)")
        }
        XCTAssertThrowsError(try readAll(try write("empty.jsonl.zst", [UInt8]())))
        XCTAssertThrowsError(try readAll(try write("empty.jsonl.gz", [UInt8]())))
    }

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

    // MARK: resume

    func testSkipDocumentsResumesAtTheExactDocument() throws {
        var lines = jsonl(sampleTexts(count: 60, seed: 5)).split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        lines[10] = []                       // empty lines and bad lines keep their index
        lines[20] = Array("not json".utf8)
        let bytes = Array(lines.joined(separator: [0x0A]))
        let files = [try write("resume.jsonl", bytes), try write("resume.jsonl.zst", zstdFrames(pieces(bytes, 4))),
                     try write("resume.jsonl.gz", gzipMembers(pieces(bytes, 4)))]
        for path in files {
            let all = try readAll(path).documents
            XCTAssertEqual(all.count, 58)
            for skip in [0, 1, 9, 10, 11, 20, 21, 59, 60] {
                let (resumed, reader) = try readAll(path, CorpusOptions(skipDocuments: skip, blockBytes: 37))
                XCTAssertEqual(resumed, all.filter { $0.index >= skip }, "\(path) skip \(skip)")
                XCTAssertEqual(reader.badLineCount, skip <= 20 ? 1 : 0, "skipped records are not parsed")
            }
            XCTAssertThrowsError(try readAll(path, CorpusOptions(skipDocuments: 62))) { error in
                XCTAssertEqual(error as? CorpusError, .resumeBeyondEnd(path: path, skipDocuments: 62, documentCount: 60))
            }
        }
        // Skipping never parses: a resumed reader passes over bad and over-long lines silently.
        let bad = try write("skip-bad.jsonl", "garbage\n\(String(repeating: "y", count: 1000))\n{\"text\": \"kept\"}\n")
        let (documents, reader) = try readAll(bad, CorpusOptions(strict: true, maxDocumentBytes: 100, skipDocuments: 2, blockBytes: 10))
        XCTAssertEqual(documents.map(\.text), ["kept"])
        XCTAssertEqual(documents.map(\.index), [2])
        XCTAssertEqual(reader.badLineCount, 0)
    }

    // MARK: plain text

    func testPlainTextSeparatorsBlankDocumentsAndLineNumbers() throws {
        let text = "\u{FEFF}First paragraph.\nStill first.\n\nSecond.\n\n   \n\nThird, after a blank doc.\n\n"
        let path = try write("paragraphs.txt", text)
        for blockBytes in [1, 4, 1 << 20] {
            let (documents, reader) = try readAll(path, CorpusOptions(separator: "\n\n", blockBytes: blockBytes))
            XCTAssertEqual(documents.map(\.text), ["First paragraph.\nStill first.", "Second.", "Third, after a blank doc."])
            XCTAssertEqual(documents.map(\.index), [0, 1, 3])
            XCTAssertEqual(documents.map(\.byteOffset), [3, 34, 48], "the BOM is not part of the first document")
            XCTAssertEqual(reader.badLineCount + reader.warningCount, 0)
        }
        // No separator: the whole file is one document, byte for byte (minus the BOM).
        XCTAssertEqual(try readAll(path).documents.map(\.text), [String(text.dropFirst())])
        // One document per line; a too-long line reports the line it starts on.
        let lines = try readAll(path, CorpusOptions(separator: "\n", maxDocumentBytes: 20)).reader.badLines
        XCTAssertEqual(lines.map(\.line), [8])
        XCTAssertEqual(lines.map(\.documentIndex), [7])

        // Invalid UTF-8 in plain text is replaced and reported as a warning, not dropped.
        let broken = try write("broken.txt", Array("ok\n\nbad ".utf8) + [0xFF, 0xFE] + Array(" end\n\nfine".utf8))
        let (documents, reader) = try readAll(broken, CorpusOptions(separator: "\n\n"))
        XCTAssertEqual(documents.map(\.text), ["ok", "bad \u{FFFD}\u{FFFD} end", "fine"])
        XCTAssertEqual(reader.warningCount, 1)
        XCTAssertEqual(reader.warnings.first?.reason, .replacedInvalidUTF8(byteIndex: 4))
        XCTAssertEqual(reader.warnings.first?.line, 3)
        XCTAssertEqual(reader.badLineCount, 0)

        // Compressed plain text.
        let zst = try write("paragraphs.txt.zst", zstdFrames(pieces(Array(text.utf8), 3)))
        XCTAssertEqual(try readAll(zst, CorpusOptions(separator: "\n\n")).documents.count, 3)
    }

    func testTinyShakespeare() throws {
        let path = Self.tinyShakespearePath
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) not found") }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        let whole = try readAll(path)
        XCTAssertEqual(whole.documents.count, 1)
        XCTAssertEqual(whole.documents.first?.text, expected)
        XCTAssertEqual(whole.reader.decompressedBytesRead, expected.utf8.count)

        let speeches = try readAll(path, CorpusOptions(separator: "\n\n", blockBytes: 4096)).documents
        let reference = expected.components(separatedBy: "\n\n").filter { !$0.allSatisfy(\.isWhitespace) }
        XCTAssertEqual(speeches.map(\.text), reference)
        XCTAssertEqual(speeches.first?.text.hasPrefix("First Citizen:\nBefore we proceed any further"), true)
        for document in speeches.prefix(50) {
            let bytes = Array(expected.utf8)[document.byteOffset..<(document.byteOffset + document.text.utf8.count)]
            XCTAssertEqual(String(decoding: bytes, as: UTF8.self), document.text)
        }
    }

    // MARK: opening

    func testOpeningErrorsAndFormatDetection() throws {
        let missing = directory.appendingPathComponent("missing.jsonl").path
        XCTAssertThrowsError(try CorpusReader(path: missing)) { error in
            XCTAssertEqual(error as? CorpusError, .cannotOpen(path: missing, reason: "no such file"))
        }
        XCTAssertThrowsError(try CorpusReader(path: directory.path, options: CorpusOptions(format: .text))) { error in
            XCTAssertEqual(error as? CorpusError, .cannotOpen(path: directory.path, reason: "is a directory"))
        }
        let unknown = try write("corpus.parquet", "x")
        XCTAssertThrowsError(try CorpusReader(path: unknown)) { error in
            XCTAssertEqual(error as? CorpusError, .unknownFormat(path: unknown))
        }
        XCTAssertEqual(try readAll(unknown, CorpusOptions(format: .text)).documents.map(\.text), ["x"])

        // A zstd file named .jsonl is caught by its magic number, and an override reads it.
        let disguised = try write("disguised.jsonl", zstdFrames([Array("{\"text\": \"z\"}\n".utf8)]))
        XCTAssertThrowsError(try CorpusReader(path: disguised)) { error in
            XCTAssertEqual(error as? CorpusError, .compressionMismatch(path: disguised, expected: .none, found: .zstd))
        }
        XCTAssertEqual(try readAll(disguised, CorpusOptions(compression: .zstd)).documents.map(\.text), ["z"])

        XCTAssertTrue(CorpusFormat.detect(path: "/a/owt.JSONL.ZST") == (.jsonl, .zstd))
        XCTAssertTrue(CorpusFormat.detect(path: "pile.jsonl.gz") == (.jsonl, .gzip))
        XCTAssertTrue(CorpusFormat.detect(path: "data.json") == (.jsonl, .none))
        XCTAssertTrue(CorpusFormat.detect(path: "tiny.txt.zst") == (.text, .zstd))
        XCTAssertTrue(CorpusFormat.detect(path: "x.gz") == (nil, .gzip))

        XCTAssertEqual(try readAll(try write("empty.jsonl", "")).documents, [])
        XCTAssertEqual(try readAll(try write("empty.txt", "")).documents, [])
    }

    func testOptionsValidateAndDecodeWithDefaults() throws {
        XCTAssertNoThrow(try CorpusOptions().validate())
        XCTAssertThrowsError(try CorpusOptions(textField: "").validate())
        XCTAssertThrowsError(try CorpusOptions(separator: "").validate())
        XCTAssertThrowsError(try CorpusOptions(maxDocumentBytes: 0).validate())
        XCTAssertThrowsError(try CorpusOptions(skipDocuments: -1).validate())
        XCTAssertThrowsError(try CorpusOptions(blockBytes: 0).validate())
        let path = try write("v.jsonl", "{}")
        XCTAssertThrowsError(try CorpusReader(path: path, options: CorpusOptions(blockBytes: 0))) { error in
            XCTAssertEqual(error as? CorpusError, .invalidOptions(field: "blockBytes", expected: "between 1 byte and 1 GiB"))
        }
        let decoded = try JSONDecoder().decode(CorpusOptions.self, from: Data(#"{"separator": "\n\n", "format": "text"}"#.utf8))
        XCTAssertEqual(decoded, CorpusOptions(format: .text, separator: "\n\n"))
        let options = CorpusOptions(format: .jsonl, compression: .gzip, textField: "content", strict: true,
                                    maxDocumentBytes: 1000, skipDocuments: 7, blockBytes: 4096)
        XCTAssertEqual(try JSONDecoder().decode(CorpusOptions.self, from: JSONEncoder().encode(options)), options)
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

/// SplitMix64, so generated corpora are the same on every run.
typealias SeededGenerator = SplitMix64
