import TensorIO

/// xoshiro256** (Blackman & Vigna), seeded through SplitMix64 as its authors recommend. Its
/// whole state is four words, so checkpoints can save and restore it exactly; Swift's
/// SystemRandomNumberGenerator cannot be seeded at all.
public struct SeededGenerator: RandomNumberGenerator, Codable, Equatable, Sendable {
    /// The four state words (never all zero).
    public private(set) var state: [UInt64]

    /// The state SplitMix64(seed) gives (any seed, 0 included).
    public init(seed: UInt64) {
        var splitMix = SplitMix64(seed: seed)
        state = [splitMix.next(), splitMix.next(), splitMix.next(), splitMix.next()]
    }

    /// Restores a saved state; nil if it is not four words or all zero (xoshiro's fixed point).
    public init?(state: [UInt64]) {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
        self.state = state
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotl(state[3], 45)
        return result
    }

    /// Uniform in [0, 1) with 24 random bits, so every value is exactly representable.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [-bound, bound).
    public mutating func nextSymmetric(bound: Float) -> Float {
        (nextUnitFloat() * 2 - 1) * bound
    }

    /// Uniform integer in 0..<upperBound by Lemire's multiply-shift with rejection, written out
    /// so the shuffle order does not depend on the standard library's choice of algorithm.
    public mutating func nextIndex(below upperBound: Int) -> Int {
        precondition(upperBound > 0, "nextIndex(below:) needs a positive bound")
        let bound = UInt64(upperBound)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
        }
        return Int(product.high)
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
