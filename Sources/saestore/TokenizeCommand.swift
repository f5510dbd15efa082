import ArgumentParser
import Extract
import Foundation

/// `saestore tokenize`: a model's token ids (and byte spans) of text, for checking what the
/// model sees: GPT-2 BPE, or any family's tokenizer.json.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize text with a model's tokenizer (GPT-2 BPE, or any supported tokenizer.json).",
        discussion: """
            Each TEXT is tokenized on its own; '-' reads all of standard input as one text \
            (invalid UTF-8 is replaced by U+FFFD first). Plain output is one line of ids per text; \
            with --spans, one line per token: index, id, byte start, byte end (half-open, into \
            the text's UTF-8) and the token's text.
            """)

    @Option(help: "Model directory (tokenizer.json, or vocab.json and merges.txt), or a hub id.")
    var model: String

    @Flag(help: "Print one JSON object per text (text, ids, and with --spans, spans and tokens).")
    var json = false

    @Flag(help: "Also print each token's byte span in the text.")
    var spans = false

    @Flag(help: "Treat special tokens in the text (<|endoftext|> = 50256 for GPT-2) as such instead of plain text.")
    var allowSpecial = false

    @Option(help: .hidden)
    var bench: String?

    @Option(help: .hidden)
    var benchRepeats = 3

    @Argument(help: "Text to tokenize, or '-' for standard input.")
    var texts: [String] = []

    func validate() throws {
        if bench == nil && texts.isEmpty { throw ValidationError("Give at least one TEXT, or '-' to read standard input.") }
        if benchRepeats < 1 { throw ValidationError("--bench-repeats must be at least 1.") }
    }

    func run() throws {
        let loadStart = ContinuousClock.now
        let tokenizer = try ModelTokenizer.load(directory: tokenizerDirectory(forModel: model))
        let loadSeconds = (ContinuousClock.now - loadStart).seconds
        if let bench {
            try runBenchmark(tokenizer, path: bench, loadSeconds: loadSeconds)
            return
        }
        for text in texts {
            let input = text == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : text
            let tokenSpans = tokenizer.encodeWithSpans(input, allowSpecial: allowSpecial)
            if json {
                printJSON(input, tokenSpans, tokenizer)
            } else if spans {
                for (tokenIndex, span) in tokenSpans.enumerated() {
                    let token = displayText(tokenizer.tokenBytes(span.id))
                    print("\(tokenIndex)\t\(span.id)\t\(span.byteStart)\t\(span.byteEnd)\t\(token)")
                }
                print("")
            } else {
                print(tokenSpans.map { String($0.id) }.joined(separator: " "))
            }
        }
    }

    /// A token's bytes as a quoted string; a token that splits a character shows its bytes as
    /// `\xNN` escapes instead of U+FFFD.
    private func displayText(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        if Array(text.utf8) == bytes { return text.debugDescription }
        return "\"" + bytes.map { (0x20..<0x7F).contains($0) && $0 != 0x22 && $0 != 0x5C
            ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16).leftPadded(to: 2) }.joined() + "\""
    }

    private struct Output: Encodable {
        var text: String
        var ids: [UInt32]
        var spans: [[Int]]?
        var tokens: [String]?
    }

    private func printJSON(_ text: String, _ tokenSpans: [TokenSpan], _ tokenizer: any TextTokenizer) {
        var output = Output(text: text, ids: tokenSpans.map(\.id))
        if spans {
            output.spans = tokenSpans.map { [$0.byteStart, $0.byteEnd] }
            output.tokens = tokenSpans.map { String(decoding: tokenizer.tokenBytes($0.id), as: UTF8.self) }
        }
        printJSONLine(output)
    }

    private struct BenchmarkResult: Encodable {
        var file: String
        var byteCount: Int
        var tokenCount: Int
        var loadSeconds: Double
        var firstRunSeconds: Double
        var bestSeconds: Double
        var megabytesPerSecond: Double
        var firstRunMegabytesPerSecond: Double
        var repeats: Int
        /// The same runs with GPT2Tokenizer's word cache off (every word through BPE); nil for
        /// tokenizers without one.
        var uncachedBestSeconds: Double?
        var uncachedMegabytesPerSecond: Double?
    }

    /// Single-thread encode throughput (MB = 10^6 bytes) on one file, for benchmarks/tokenizer.
    /// The first run starts with a cold word cache; "best" is the fastest of all runs.
    private func runBenchmark(_ tokenizer: any TextTokenizer, path: String, loadSeconds: Double) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("\(path): cannot read the benchmark file.")
        }
        let text = String(decoding: data, as: UTF8.self)
        var times: [Double] = []
        var tokenCount = 0
        for _ in 0..<benchRepeats {
            let start = ContinuousClock.now
            tokenCount = tokenizer.encode(text, allowSpecial: allowSpecial).count
            times.append((ContinuousClock.now - start).seconds)
        }
        // The same text with every word through BPE: what the word cache is worth.
        var uncachedBest: Double?
        if let gpt2 = tokenizer as? GPT2Tokenizer {
            gpt2.usesWordCache = false
            defer { gpt2.usesWordCache = true }
            for _ in 0..<benchRepeats {
                let start = ContinuousClock.now
                let count = gpt2.encode(text, allowSpecial: allowSpecial).count
                uncachedBest = min(uncachedBest ?? .infinity, (ContinuousClock.now - start).seconds)
                guard count == tokenCount else { throw ValidationError("the uncached tokenizer gave \(count) tokens, the cached \(tokenCount)") }
            }
        }
        let byteCount = text.utf8.count
        let best = times.min()!
        printJSONLine(BenchmarkResult(
            file: path, byteCount: byteCount, tokenCount: tokenCount, loadSeconds: loadSeconds,
            firstRunSeconds: times[0], bestSeconds: best,
            megabytesPerSecond: Double(byteCount) / 1e6 / best,
            firstRunMegabytesPerSecond: Double(byteCount) / 1e6 / times[0], repeats: benchRepeats,
            uncachedBestSeconds: uncachedBest, uncachedMegabytesPerSecond: uncachedBest.map { Double(byteCount) / 1e6 / $0 }))
    }

    private func printJSONLine(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        print(String(decoding: try! encoder.encode(value), as: UTF8.self))
    }
}

/// The directory holding `--model`'s tokenizer: a local directory as is when it holds
/// tokenizer.json or vocab.json and merges.txt (a full model directory or just a tokenizer),
/// else the model resolved like every other command's (a hub id through the cache and the hub,
/// or a model directory, checked whole).
func tokenizerDirectory(forModel model: String) throws -> String {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory), isDirectory.boolValue {
        _ = try ModelTokenizer.definingFiles(directory: model)
        return model
    }
    return try resolveModel(model, quiet: false).files.directory
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

