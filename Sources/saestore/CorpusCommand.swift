import ArgumentParser
import Extract
import Foundation

/// `saestore corpus`: reads a corpus the way ingest will and reports what it found, so a bad
/// export is caught before hours of extraction.
struct CorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus",
        abstract: "Check a corpus file: count documents, bad lines and warnings, and measure read speed.",
        discussion: """
            Reads .txt, .jsonl (.json, .ndjson) and their .zst / .gz forms, streaming, with the \
            same options ingest takes. --separator understands \\n, \\r and \\t escapes \
            (e.g. --separator '\\n\\n' for blank-line-separated paragraphs). See docs/CORPUS.md.
            """)

    @Argument(help: "Corpus file.")
    var path: String

    @OptionGroup var corpusArguments: CorpusArguments

    @Option(help: "Skip this many documents first (as a resumed ingest does).")
    var skipDocuments = 0

    @Option(help: "How many bad lines and warnings to list.")
    var show = 10

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let options = corpusArguments.options(skipDocuments: skipDocuments)
        let start = ContinuousClock.now
        let reader = try CorpusReader(path: path, options: options)
        var documentCount = 0
        var textByteCount = 0
        while let document = try reader.next() {
            documentCount += 1
            textByteCount += document.text.utf8.count
        }
        let (wholeSeconds, attoseconds) = (ContinuousClock.now - start).components
        let seconds = Double(wholeSeconds) + Double(attoseconds) * 1e-18
        let report = Report(
            path: path, format: reader.format.rawValue, compression: reader.compression.rawValue,
            fileBytes: reader.fileByteCount, decompressedBytes: reader.decompressedBytesRead,
            records: reader.nextDocumentIndex, documents: documentCount, textBytes: textByteCount,
            badLines: reader.badLineCount, warnings: reader.warningCount, seconds: seconds,
            decompressedMegabytesPerSecond: Double(reader.decompressedBytesRead) / 1e6 / seconds,
            fileMegabytesPerSecond: Double(reader.fileByteCount) / 1e6 / seconds,
            firstBadLines: reader.badLines.prefix(show).map(\.description),
            firstWarnings: reader.warnings.prefix(show).map(\.description))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        print("\(path): \(report.format), compression \(report.compression)")
        print("  \(report.documents) documents (\(report.records) records), \(report.textBytes) bytes of text")
        print("  \(report.badLines) bad lines, \(report.warnings) warnings")
        for line in report.firstBadLines { print("  bad: \(line)") }
        if report.badLines > report.firstBadLines.count { print("  … \(report.badLines - report.firstBadLines.count) more bad lines") }
        for line in report.firstWarnings { print("  warning: \(line)") }
        print(String(format: "  read %.1f MB (%.1f MB on disk) in %.2f s: %.0f MB/s", Double(report.decompressedBytes) / 1e6,
                     Double(report.fileBytes) / 1e6, seconds, report.decompressedMegabytesPerSecond))
    }

    /// Shell arguments cannot easily hold a newline, so `\n`, `\r`, `\t` and `\\` are spelled out.
    static func unescape(_ text: String) -> String {
        var out = ""
        var escaped = false
        for character in text {
            if escaped {
                switch character {
                case "n": out.append("\n")
                case "r": out.append("\r")
                case "t": out.append("\t")
                default: out.append(character)
                }
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                out.append(character)
            }
        }
        if escaped { out.append("\\") }
        return out
    }

    struct Report: Encodable {
        var path: String
        var format: String
        var compression: String
        var fileBytes: Int
        var decompressedBytes: Int
        var records: Int
        var documents: Int
        var textBytes: Int
        var badLines: Int
        var warnings: Int
        var seconds: Double
        var decompressedMegabytesPerSecond: Double
        var fileMegabytesPerSecond: Double
        var firstBadLines: [String]
        var firstWarnings: [String]
    }
}

extension CorpusFormat: ExpressibleByArgument {}
extension CorpusCompression: ExpressibleByArgument {}
