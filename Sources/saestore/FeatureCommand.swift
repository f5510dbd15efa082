import ArgumentParser
import FeatureAnalysis
import SAELoading
import Foundation

/// `saestore feature DIR --id F`: one feature from stored scan results, resolved to text.
struct FeatureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feature",
        abstract: "Show a feature's top examples (token marked, neighbours' activations), frequency, histogram and logit effect.")

    @Argument(help: "Results directory written by `saestore features`.") var results: String
    @Option(help: "SAE feature id.") var id: Int
    @Option(help: "Tokens of context on each side.") var window = 8
    @Option(help: "The store, if it moved since the scan (must hold the same data).") var store: String?
    @Option(help: "The SAE, if it moved since the scan (must be the same files).") var sae: String?
    @Option(help: "Model directory or hub id for the logit effect and token texts (default: the scan's).") var model: String?
    @Flag(help: "Leave out the quantile samples.") var noQuantiles = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let modelDirectory = try model.map { try resolveModel($0, quiet: json).files.directory }
        let inspector = try FeatureInspector(resultsDirectory: URL(fileURLWithPath: results), store: store, sae: sae,
                                             model: modelDirectory, window: window)
        let detail = try inspector.detail(feature: id, quantiles: !noQuantiles)
        if json { return try printJSON(detail) }
        print("feature \(detail.feature)  \(inspector.results.manifest.config.column)  SAE \(inspector.results.manifest.sae.path)")
        print("fires on \(String(format: "%.4g", 100 * detail.frequency))% of rows (\(detail.fireCount) of \(detail.rowsScanned)), mean \(Self.number(detail.meanActivation)) when firing, max \(Self.number(Double(detail.maxActivation)))")
        if !detail.histogram.isEmpty {
            print("histogram \(Self.number(Double(detail.histogram.first!.lower)))…\(Self.number(Double(detail.histogram.last!.upper))) (log bins): \(Self.sparkline(detail.histogram.map(\.count)))")
        }
        if let promoted = detail.promotedTokens, let suppressed = detail.suppressedTokens {
            func list(_ tokens: [FeatureDetail.LogitToken]) -> String {
                tokens.map { "\(Self.quoted($0.text ?? "#\($0.tokenID)")) \(Self.number(Double($0.value)))" }.joined(separator: ", ")
            }
            print("promotes:   \(list(promoted))")
            print("suppresses: \(list(suppressed))")
            if let note = detail.logitTokensLeftOutNote {
                print("            (\(note))")
            }
        }
        print("\ntop \(detail.topExamples.count) examples" + (detail.duplicatesFolded > 0
            ? " (distinct contexts; ×N: N rows with that exact context, \(detail.duplicatesFolded) folded):" : ":"))
        for (rank, example) in detail.topExamples.enumerated() { Self.show(example, rank: "\(rank + 1).") }
        for bucket in detail.quantiles where !bucket.examples.isEmpty {
            print("\nactivations \(Self.number(Double(bucket.lower)))–\(Self.number(Double(bucket.upper))) (\(bucket.count) rows), samples:")
            for example in bucket.examples { Self.show(example, rank: "-") }
        }
    }

    static func show(_ e: FeatureExample, rank: String) {
        let place = e.document.map { "doc \($0) token \(e.tokenIndex ?? 0)  \(e.source ?? "")#\(e.sourceIndex ?? 0)" } ?? "bare row"
        let copies = (e.duplicates ?? 0) > 0 ? "  ×\(e.duplicates! + 1)" : ""
        print("\(rank.padding(toLength: 4, withPad: " ", startingAt: 0))\(number(Double(e.activation)).padding(toLength: 8, withPad: " ", startingAt: 0)) row \(e.row)  \(place)\(copies)")
        guard !e.tokens.isEmpty else { return }
        let text = e.tokens.enumerated().map { i, t in
            let piece = LookupCommand.oneLine(t.text.isEmpty ? "⟨bos⟩" : t.text)
            return i == e.centerIndex ? "⟦" + piece + "⟧" : piece
        }.joined()
        print("      \(text)")
        let active = e.tokens.enumerated().filter { $0.element.activation > 0 }
        if !active.isEmpty {
            print("      acts: " + active.map { i, t in
                "\(quoted(t.text.isEmpty ? "⟨bos⟩" : t.text))\(i == e.centerIndex ? "*" : "") \(number(Double(t.activation)))"
            }.joined(separator: "  "))
        }
    }

    static func number(_ x: Double) -> String { String(format: "%.4g", x) }

    static func quoted(_ text: String) -> String { "\"" + LookupCommand.oneLine(text) + "\"" }

    static func sparkline(_ counts: [Int]) -> String {
        let bars = Array("▁▂▃▄▅▆▇█")
        let top = Double(counts.max() ?? 1)
        return String(counts.map { bars[min(bars.count - 1, Int(Double($0) / top * Double(bars.count - 1)))] })
    }
}
