/// The pre-tokenizers of a tokenizer.json, in order, over normalized bytes: each step splits
/// every piece the previous one produced, and what comes out are the words BPE encodes.
///
/// `Metaspace`'s replacing and prepending is text editing, so `HFTokenizer` does it with the
/// normalizers (keeping the alignment to the original); only its optional split is a step here.
struct PreTokenizerPipeline: Sendable {
    enum Step: Sendable {
        case gpt2
        case llama3(maxDigits: Int)
        case regex(RegexPreTokenizer)
        case digits(individual: Bool)
        /// Metaspace with `split`: every replacement character starts a new piece.
        case splitBefore([UInt8])
    }

    let steps: [Step]

    /// With `reference`, every regex runs through Swift `Regex` rather than a hand scanner.
    init(_ preTokenizers: [TokenizerSpec.PreTokenizer], file: String, reference: Bool = false) throws {
        var steps: [Step] = []
        func regexStep(_ pattern: String) throws -> Step {
            guard let regex = RegexPreTokenizer(pattern: pattern) else {
                throw TokenizerJSONError.unsupported(path: file, at: "pre_tokenizer", what: "the regex \(String(reflecting: pattern)) (Swift Regex cannot compile it)")
            }
            return .regex(regex)
        }
        for preTokenizer in preTokenizers {
            switch preTokenizer {
            case .byteLevel(useRegex: true):
                steps.append(reference ? try regexStep(TokenizerSpec.gpt2Pattern) : .gpt2)
            case .byteLevel(useRegex: false):
                break
            case .split(.gpt2):
                steps.append(reference ? try regexStep(TokenizerSpec.gpt2Pattern) : .gpt2)
            case let .split(.llama3(maxDigits)):
                let pattern = maxDigits == 3 ? TokenizerSpec.llama3Pattern : TokenizerSpec.qwen2Pattern
                steps.append(reference ? try regexStep(pattern) : .llama3(maxDigits: maxDigits))
            case let .split(.regex(pattern)):
                steps.append(try regexStep(pattern))
            case let .digits(individual):
                steps.append(.digits(individual: individual))
            case let .metaspace(replacement, _, split):
                if split { steps.append(.splitBefore(Array(replacement.utf8))) }
            }
        }
        self.steps = steps
    }

    /// Calls `body` with each word's byte range in `bytes`, in order; the words tile `bytes`.
    func forEachWord(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        split(bytes, 0..<bytes.count, step: 0, body)
    }

    private func split(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, step: Int, _ body: (Range<Int>) -> Void) {
        guard !range.isEmpty else { return }
        guard step < steps.count else { return body(range) }
        let piece = UnsafeBufferPointer(rebasing: bytes[range])
        let base = range.lowerBound
        switch steps[step] {
        case .gpt2:
            var scanner = PreTokenScanner(piece)
            while let word = scanner.next() { split(bytes, (base + word.lowerBound)..<(base + word.upperBound), step: step + 1, body) }
        case let .llama3(maxDigits):
            var scanner = Llama3PreTokenScanner(piece, maxDigits: maxDigits)
            while let word = scanner.next() { split(bytes, (base + word.lowerBound)..<(base + word.upperBound), step: step + 1, body) }
        case let .regex(regex):
            for word in regex.split(piece) { split(bytes, (base + word.lowerBound)..<(base + word.upperBound), step: step + 1, body) }
        case let .digits(individual):
            var start = 0
            var index = 0
            var runIsNumber = false
            while index < piece.count {
                let length = Self.scalarLength(piece[index])
                let isNumber = Self.isNumber(piece, at: index, length: length)
                // A number ends the run before it; an individual digit also ends its own.
                if index > start && (isNumber != runIsNumber || (individual && isNumber)) {
                    split(bytes, (base + start)..<(base + index), step: step + 1, body)
                    start = index
                }
                runIsNumber = isNumber
                index += length
            }
            split(bytes, (base + start)..<(base + piece.count), step: step + 1, body)
        case let .splitBefore(marker):
            var start = 0
            var index = 1
            while index + marker.count <= piece.count {
                if piece[index] == marker[0] && piece[index..<(index + marker.count)].elementsEqual(marker) {
                    split(bytes, (base + start)..<(base + index), step: step + 1, body)
                    start = index
                    index += marker.count
                } else {
                    index += 1
                }
            }
            split(bytes, (base + start)..<(base + piece.count), step: step + 1, body)
        }
    }

    @inline(__always)
    static func scalarLength(_ leadByte: UInt8) -> Int {
        leadByte < 0x80 ? 1 : leadByte < 0xE0 ? 2 : leadByte < 0xF0 ? 3 : 4
    }

    /// Rust's `char::is_numeric` (general category Nd, Nl or No), which `Digits` uses.
    private static func isNumber(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int, length: Int) -> Bool {
        var value = UInt32(bytes[index])
        if length > 1 {
            value &= UInt32(0xFF >> (length + 1))
            for offset in 1..<length { value = value << 6 | UInt32(bytes[index + offset] & 0x3F) }
        }
        guard let scalar = Unicode.Scalar(value) else { return false }
        return ScalarClass(scalar) == .number
    }
}
