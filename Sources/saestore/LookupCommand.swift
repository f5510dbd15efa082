import ActStore
import ArgumentParser
import Foundation

/// `saestore lookup STORE --row N`: a row's token in the text it came from.
struct LookupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookup",
        abstract: "Show the token a row came from, in its text, with its document and source.")

    @Argument(help: "Store directory.")
    var store: String

    @Option(help: "Row number (repeatable).")
    var row: [Int] = []

    @Option(help: "Document id (with --pos: the token index inside the document).")
    var doc: Int?

    @Option(help: "Token index inside --doc.")
    var pos: Int?

    @Option(help: "Tokens of context on each side.")
    var window: Int = 12

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        if row.isEmpty && doc == nil { throw ValidationError("Give --row N, or --doc D --pos P.") }
        if (doc == nil) != (pos == nil) { throw ValidationError("--doc and --pos go together.") }
        if window < 0 { throw ValidationError("--window must be >= 0.") }
    }

    func run() throws {
        let reader = try openStore(at: store)
        var rows = row
        if let doc, let pos { rows.append(try reader.row(document: doc, tokenIndex: pos)) }
        var results: [TokenContext] = []
        for r in rows {
            guard let context = try reader.context(row: r, window: window) else {
                throw ValidationError("row \(r) of \(store) has no text: it was imported without documents.")
            }
            results.append(context)
        }
        if json { return try printJSON(rows.count == 1 ? AnyEncodable(results[0]) : AnyEncodable(results)) }
        for c in results {
            print("row \(c.row)  doc \(c.document) token \(c.tokenIndex)  pos \(c.position)  id \(c.tokenID)  bytes \(c.byteStart)..<\(c.byteEnd)  \(c.source)#\(c.sourceIndex)")
            print(Self.oneLine(c.before) + "⟦" + Self.oneLine(c.token) + "⟧" + Self.oneLine(c.after))
        }
    }

    /// Newlines and tabs shown as ↵ and ⇥ so a context stays on one line.
    static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: "↵").replacingOccurrences(of: "\t", with: "⇥")
    }
}

struct AnyEncodable: Encodable {
    let value: Encodable
    init(_ value: Encodable) { self.value = value }
    func encode(to encoder: Encoder) throws { try value.encode(to: encoder) }
}
