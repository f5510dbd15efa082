/// Merge rules keyed by a packed pair of token ids: `(left << 32 | right) → (rank, merged id)`.
///
/// Open addressing with linear probing and a multiplicative hash. Swift's `Dictionary` hashes
/// with SipHash, which costs more than the whole rest of a lookup on this hot path.
struct PairMergeTable {
    /// `rank << 32 | mergedID` for a pair with a merge; `noMerge` (all ones) when there is none.
    /// Ordering packed values compares ranks first, and a rank names one pair, so the smallest
    /// packed value is always the best merge.
    typealias Packed = UInt64
    static let noMerge: Packed = .max

    private struct Slot {
        var key: UInt64
        var packed: Packed
    }

    private static let emptyKey: UInt64 = .max
    private var slots: [Slot]
    private let shift: UInt64
    private(set) var count = 0

    init(capacity: Int) {
        var bits = 4
        while (1 << bits) < capacity * 2 { bits += 1 }
        slots = [Slot](repeating: Slot(key: Self.emptyKey, packed: Self.noMerge), count: 1 << bits)
        shift = UInt64(64 - bits)
    }

    @inline(__always)
    private static func key(_ left: UInt32, _ right: UInt32) -> UInt64 { UInt64(left) << 32 | UInt64(right) }

    /// Sets the merge for a pair, replacing any earlier one (a later merges.txt line wins,
    /// as in `tokenizers` and OpenAI's encoder.py).
    mutating func set(_ left: UInt32, _ right: UInt32, rank: UInt32, mergedID: UInt32) {
        let key = Self.key(left, right)
        precondition(key != Self.emptyKey, "token id 4294967295 is reserved")
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while slots[index].key != Self.emptyKey && slots[index].key != key { index = (index + 1) & mask }
        if slots[index].key == Self.emptyKey { count += 1 }
        slots[index] = Slot(key: key, packed: UInt64(rank) << 32 | UInt64(mergedID))
    }

    /// The packed merge of a pair, or `noMerge`.
    @inline(__always)
    func lookup(_ left: UInt32, _ right: UInt32) -> Packed {
        let key = Self.key(left, right)
        return slots.withUnsafeBufferPointer { slots in
            let mask = slots.count - 1
            var index = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
            while true {
                let slot = slots[index]
                if slot.key == key { return slot.packed }
                if slot.key == Self.emptyKey { return Self.noMerge }
                index = (index + 1) & mask
            }
        }
    }
}
