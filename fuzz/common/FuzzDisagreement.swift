#if canImport(Glibc)
import Glibc
#endif

/// A differential mismatch. Set FUZZ_STRICT=1 to make it a crash (so libFuzzer saves the input);
/// by default it is only counted, because the fast parser is stricter than Foundation on
/// purpose in a few places (docs/CORPUS.md).
enum FuzzDisagreement {
    nonisolated(unsafe) static var count = 0
    static let strict = getenv("FUZZ_STRICT") != nil

    static func note(_ message: String, _ input: [UInt8]) {
        count += 1
        if strict { fatalError("differential mismatch: \(message) on \(String(reflecting: String(decoding: input, as: UTF8.self)))") }
        if count <= 5 { fputs("disagreement: \(message) on \(String(reflecting: String(decoding: input.prefix(200), as: UTF8.self)))\n", stderr) }
    }
}
