// libFuzzer target: JSONLineParser (the fast hand-written JSONL field extractor), checked
// against ReferenceJSONLineParser (Foundation's JSONSerialization). Built by scripts/fuzz.sh
// with Extract/Corpus's sources compiled in.
// Expectation: no trap; when the line is valid UTF-8 and holds no lone-surrogate escape, both
// parsers accept the same lines and extract the same text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let line = Array(UnsafeBufferPointer(start: data, count: size))
    var parser = JSONLineParser(field: "text")
    let outcome = line.withUnsafeBufferPointer { parser.parse($0) }
    // Foundation's parser differs on what the policy defines itself: invalid UTF-8, lone
    // surrogates, nesting deeper than maxNestingDepth, and NUL/whitespace oddities; compare
    // only on lines outside those cases.
    guard String(validatingUTF8: line.map { CChar(bitPattern: $0) } + [0]) != nil,
          !line.contains(0), line.count < 4096 else { return 0 }
    if case .text(_, replacedLoneSurrogate: true) = outcome { return 0 }
    let reference = ReferenceJSONLineParser.text(ofLine: line, field: "text")
    switch (outcome, reference) {
    case let (.text(text, _), .some(expected)):
        precondition(text == expected, "JSONLineParser text \(String(reflecting: text)) != reference \(String(reflecting: expected)) for \(String(reflecting: String(decoding: line, as: UTF8.self)))")
    case (.bad, nil):
        break
    case let (.text(text, _), nil):
        FuzzDisagreement.note("fast accepted \(String(reflecting: text)), reference rejected", line)
    case let (.bad(reason), .some(expected)):
        FuzzDisagreement.note("fast rejected (\(reason)), reference accepted \(String(reflecting: expected))", line)
    }
    return 0
}
