/// Tokens whose unembedding rows are near-identical to many other tokens' rows. A token the
/// model never (or hardly) saw in training gets almost the same gradient as every other unseen
/// token, so their rows collapse onto one point; a feature that "promotes" one of them promotes
/// them all, and the top of its logit effect fills with an arbitrary pick of tokens it never
/// predicted (e.g. "tails", "Chicken", "loudspe…" at one shared value). They are left out of the
/// promoted and suppressed lists, and the report says how many were.
public enum CollapsedTokens {
    /// Neighbours in projection order compared on each side of a token.
    public static let neighbourWindow = 32
    /// A token is collapsed when at least this many other rows are within `relativeDistance`.
    public static let minimumNeighbours = 16
    /// ‖u_a − u_b‖ ≤ relativeDistance · max(‖u_a‖, ‖u_b‖) counts as the same row. On the demo
    /// model the count of such neighbours is bimodal: 0 for the ~11k tokens tinyshakespeare
    /// uses, ~39,000 for the rest (unseen rows lie ~6% apart); 0.05 already splits them.
    public static let relativeDistance: Float = 0.1

    /// Per token: whether its row is collapsed. Rows are ordered by their projection on a fixed
    /// pseudo-random direction (near-identical rows then sit next to each other) and each is
    /// compared with `neighbourWindow` rows on each side: O(V · window · C).
    public static func find(_ unembedding: Unembedding) -> [Bool] {
        let V = unembedding.vocabularySize, C = unembedding.width, u = unembedding.matrix
        var direction = [Float](repeating: 0, count: C)
        var state: UInt64 = 0x5EED
        for c in 0..<C {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            direction[c] = Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
        }
        var projection = [Float](repeating: 0, count: V)
        var norms = [Float](repeating: 0, count: V)
        for v in 0..<V {
            var p: Float = 0, n: Float = 0
            for c in 0..<C { p += u[v * C + c] * direction[c]; n += u[v * C + c] * u[v * C + c] }
            projection[v] = p
            norms[v] = n.squareRoot()
        }
        let order = (0..<V).sorted { projection[$0] < projection[$1] || (projection[$0] == projection[$1] && $0 < $1) }
        var collapsed = [Bool](repeating: false, count: V)
        for i in 0..<V {
            let a = order[i]
            var close = 0
            for j in max(0, i - neighbourWindow)...min(V - 1, i + neighbourWindow) where j != i {
                if near(a, order[j], u, norms, C) { close += 1 }
            }
            collapsed[a] = close >= minimumNeighbours
        }
        return collapsed
    }

    /// Plain definition: every pair compared (O(V² · C), for tests on small vocabularies).
    public static func reference(_ unembedding: Unembedding) -> [Bool] {
        let V = unembedding.vocabularySize, C = unembedding.width, u = unembedding.matrix
        let norms = (0..<V).map { v in (0..<C).reduce(Float(0)) { $0 + u[v * C + $1] * u[v * C + $1] }.squareRoot() }
        return (0..<V).map { a in (0..<V).filter { $0 != a && near(a, $0, u, norms, C) }.count >= minimumNeighbours }
    }

    @inline(__always)
    static func near(_ a: Int, _ b: Int, _ u: [Float], _ norms: [Float], _ C: Int) -> Bool {
        var squares: Float = 0
        for c in 0..<C {
            let d = u[a * C + c] - u[b * C + c]
            squares += d * d
        }
        let limit = relativeDistance * max(norms[a], norms[b], Float.leastNormalMagnitude)
        return squares <= limit * limit
    }
}
