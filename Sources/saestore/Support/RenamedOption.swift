import ArgumentParser
import Foundation

/// An option renamed because its old spelling meant different things in different commands
/// (`--top-k` kept examples in `features` but sized the same-token share in `evaluate`;
/// `--max-tokens` counted stored rows in `ingest` but rows read in `train`). The old spelling is
/// still accepted, hidden from the help, so scripts keep working; using it prints one line on
/// stderr naming the new one. Giving both is refused rather than guessing which one was meant.
enum RenamedOption {
    /// The value given under `newName` or `oldName` (nil when neither was given).
    static func value<T>(_ new: T?, newName: String, old: T?, oldName: String) throws -> T? {
        switch (new, old) {
        case (let new?, nil): return new
        case (nil, let old?):
            FileHandle.standardError.write(Data("note: \(oldName) is now \(newName) (the old spelling still works)\n".utf8))
            return old
        case (nil, nil): return nil
        case (_?, _?): throw ValidationError("\(newName) and \(oldName) are the same option (\(oldName) is its old spelling); give one")
        }
    }
}
