/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, well-mixed generator that gives the same
/// numbers on every platform, for seeded weights and reproducible test and benchmark data.
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    /// The generator's whole state: the last Weyl-sequence value, advanced by `increment` per draw.
    public var state: UInt64

    /// The Weyl-sequence increment (the golden ratio's fraction in 64 bits).
    public static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// Starts the sequence at `seed` (any value, zero included, gives a full-period stream).
    public init(seed: UInt64) { state = seed }
    /// Resumes a sequence from a saved `state`; the same as `init(seed:)`, named for the caller's intent.
    public init(state: UInt64) { self.state = state }

    /// Advances the state by `increment` and returns its `finalise`d value.
    public mutating func next() -> UInt64 {
        state &+= Self.increment
        return Self.finalise(state)
    }

    /// SplitMix64's output function (a variant of MurmurHash3's fmix64): a bijection on 64-bit
    /// words that spreads every input bit over the whole output, used alone as a keyed hash.
    @inline(__always)
    public static func finalise(_ word: UInt64) -> UInt64 {
        var z = word
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
