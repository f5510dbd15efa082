/// Suggestions for a misspelt or mis-prefixed name, for error messages.
enum NearNames {
    /// Up to `limit` names from `candidates` ordered by edit distance to `name`; names that
    /// contain `name` or are contained in it (a `transformer.` prefix) rank first.
    static func closest(to name: String, among candidates: [String], limit: Int = 5) -> [String] {
        let target = Array(name.utf8)
        let scored = candidates.map { candidate -> (Int, String) in
            if candidate.hasSuffix(name) || name.hasSuffix(candidate) { return (0, candidate) }
            return (editDistance(target, Array(candidate.utf8)), candidate)
        }
        return scored.sorted { $0 < $1 }.prefix(limit).map(\.1)
    }

    /// Levenshtein distance over bytes.
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
