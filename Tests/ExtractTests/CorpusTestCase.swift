import TensorIO
import CZlib
import CZstd
import Foundation
import XCTest
@testable import Extract

/// A temporary directory per test and the corpus builders (compressed frames, JSON lines,
/// sample texts) that CorpusTests and JSONLineTests share.
class CorpusTestCase: XCTestCase {
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
}

/// SplitMix64, so generated corpora are the same on every run.
typealias SeededGenerator = SplitMix64
