/// The fixed activation bins every feature's histogram uses: four bins per octave from
/// 2^minimumExponent to 2^maximumExponent, read straight off a Float's exponent and its top two
/// mantissa bits (no log call per activation). Bin b covers
/// [2^e · (1 + q/4), 2^e · (1 + (q+1)/4)) with e = minimumExponent + b / 4, q = b % 4; the first
/// bin also takes every positive value below 2^minimumExponent and the last every value above.
/// Fixed bins make histograms of different features (and SAEs) comparable and need no max.
public enum ActivationHistogram {
    /// Bins start at 2^-16; positive activations below it count in bin 0.
    public static let minimumExponent = -16
    /// Bins end at 2^16; activations at or above it count in the last bin.
    public static let maximumExponent = 16
    /// Bins per doubling, the quarter picked by the top two mantissa bits.
    public static let binsPerOctave = 4
    /// Bins per feature: (16 − (−16)) × 4 = 128, the histograms tensor's second dimension.
    public static let binCount = (maximumExponent - minimumExponent) * binsPerOctave

    /// The bin of a positive activation (callers skip a ≤ 0: a feature that did not fire).
    @inline(__always)
    public static func bin(_ activation: Float) -> Int {
        // IEEE float: exponent in bits 23...30 (biased by 127); bits 21...22 are the top two
        // mantissa bits, i.e. which quarter of the octave.
        let quarterOctave = Int(activation.bitPattern >> 21) - (127 + minimumExponent) * binsPerOctave
        return min(max(quarterOctave, 0), binCount - 1)
    }

    /// Lower edge of bin b (for the first bin, the edge its in-range values start at).
    public static func lowerEdge(_ b: Int) -> Float {
        let e = minimumExponent + b / binsPerOctave, q = b % binsPerOctave
        return Float(sign: .plus, exponent: e, significand: 1 + Float(q) / Float(binsPerOctave))
    }

    /// Upper edge of bin b.
    public static func upperEdge(_ b: Int) -> Float { lowerEdge(b + 1) }

    /// The plain definition the bit trick is held to: the bin whose edges bracket the value.
    static func referenceBin(_ activation: Float) -> Int {
        if activation < lowerEdge(0) { return 0 }
        for b in 0..<binCount where activation < upperEdge(b) { return b }
        return binCount - 1
    }
}
