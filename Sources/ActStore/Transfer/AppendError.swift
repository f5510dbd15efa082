/// Why `import --append` refused a part. Every case names the part's file, the place in it
/// (or on the command line) where the problem is, and what the store expected. A refused
/// append changes nothing stored: it is refused before any byte is written, or its written
/// bytes are cut off again before the index ever names them.
public enum AppendError: Error, CustomStringConvertible, Equatable {
    /// The part does not fit the store's rows: another width, dtype, column set, hook,
    /// context size, or rows of another kind (bare rows into a store of documents).
    case mismatch(store: String, file: String, position: String, expected: String, found: String)
    /// The part's bytes were brought into the store before (by `import` or `import --append`).
    case duplicatePart(store: String, file: String, fingerprint: String, earlier: AppendRecord)

    /// The message the CLI prints: the file and place, what was expected and found, and that
    /// nothing was appended.
    public var description: String {
        switch self {
        case let .mismatch(store, file, position, expected, found):
            return "\(file), \(position): expected \(expected), found \(found). Nothing was appended to \(store)."
        case let .duplicatePart(store, file, fingerprint, earlier):
            let rows = "rows \(earlier.firstRow)..<\(earlier.firstRow + earlier.rowCount)"
            return "\(file) is already in \(store): its bytes (fingerprint \(fingerprint)) came in as \(rows) from \(earlier.files.joined(separator: ", ")). "
                + "Nothing was appended. A part is recognised by its bytes, under any file name; appending it twice would duplicate its rows."
        }
    }
}

/// What the index records about one part brought into a store (the value of its `cursor`
/// entry `part:FINGERPRINT`, JSON): where its rows went and which files they came from.
public struct AppendRecord: Codable, Sendable, Equatable {
    /// The part's files as they were named when it came in.
    public var files: [String]
    /// The store row its first row became.
    public var firstRow: Int
    /// Rows it added.
    public var rowCount: Int
    /// Documents it added (0 for bare rows).
    public var documentCount: Int

    /// A record of a part whose rows became store rows `firstRow ..< firstRow + rowCount`;
    /// `AppendPart.cursorEntry(_:)` stores it.
    public init(files: [String], firstRow: Int, rowCount: Int, documentCount: Int) {
        self.files = files
        self.firstRow = firstRow
        self.rowCount = rowCount
        self.documentCount = documentCount
    }
}
