import TensorIO
import CZlib
import CZstd
import Foundation
import XCTest
@testable import Extract

/// Corpus readers: block-boundary splits, CRLF, multi-frame zstd and multi-member gzip,
/// truncated files, resume, plain text, opening and options. JSON lines: JSONLineTests.
final class CorpusTests: CorpusTestCase {
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
}
