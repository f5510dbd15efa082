/// Follows many units over a stream of rows, keeping what the monosemanticity measures need
/// and no more: each unit's maximum, firing count, top-k rows and the rows at or above half of
/// its running maximum. Rows may arrive in any order; the result depends only on the set of
/// (row, values) seen. Memory is k + (rows above half the running max) entries per unit.
struct UnitActivationTracker {
    /// A kept row: its activation and its row number (relative to the evaluated range).
    struct Entry: Equatable {
        var value: Float
        var row: Int32

        /// Larger value first; equal values go to the lower row, so the top-k is exact and
        /// independent of arrival order.
        @inline(__always)
        func ranksAbove(_ other: Entry) -> Bool {
            value > other.value || (value == other.value && row < other.row)
        }
    }

    let unitCount: Int
    let topK: Int
    let activation: UnitActivation
    private(set) var maxima: [Float]
    private(set) var firingCounts: [Int]
    private(set) var rowCount = 0
    private var top: [[Entry]]
    /// Index of the lowest-ranked entry of each full top list.
    private var topWorst: [Int]
    private var candidates: [[Entry]]
    private var prunedCounts: [Int]

    init(unitCount: Int, topK: Int, activation: UnitActivation) {
        precondition(unitCount > 0 && topK > 0, "a tracker needs units and k ≥ 1")
        self.unitCount = unitCount
        self.topK = topK
        self.activation = activation
        maxima = [Float](repeating: 0, count: unitCount)
        firingCounts = [Int](repeating: 0, count: unitCount)
        top = [[Entry]](repeating: [], count: unitCount)
        topWorst = [Int](repeating: 0, count: unitCount)
        candidates = [[Entry]](repeating: [], count: unitCount)
        prunedCounts = [Int](repeating: 0, count: unitCount)
    }

    /// Adds one row: `values[offset ..< offset + unitCount]` are its raw unit values.
    mutating func add(_ values: [Float], offset: Int, row: Int32) {
        precondition(offset >= 0 && offset + unitCount <= values.count, "row values out of range")
        rowCount += 1
        values.withUnsafeBufferPointer { buffer in
            for unit in 0..<unitCount {
                let value = activation.apply(buffer[offset + unit])
                if value > 0 { record(unit: unit, entry: Entry(value: value, row: row)) }
            }
        }
    }

    private mutating func record(unit: Int, entry: Entry) {
        firingCounts[unit] += 1
        if entry.value > maxima[unit] { maxima[unit] = entry.value }
        // Every row ≥ final max / 2 is ≥ running max / 2 when it arrives (the max only grows).
        if entry.value >= maxima[unit] / 2 {
            candidates[unit].append(entry)
            if candidates[unit].count > 2 * prunedCounts[unit] + 64 {
                let half = maxima[unit] / 2
                candidates[unit].removeAll { $0.value < half }
                prunedCounts[unit] = candidates[unit].count
            }
        }
        if top[unit].count < topK {
            top[unit].append(entry)
            if top[unit].count == topK { topWorst[unit] = worstIndex(top[unit]) }
        } else if entry.ranksAbove(top[unit][topWorst[unit]]) {
            top[unit][topWorst[unit]] = entry
            topWorst[unit] = worstIndex(top[unit])
        }
    }

    private func worstIndex(_ entries: [Entry]) -> Int {
        var worst = 0
        for i in 1..<entries.count where entries[worst].ranksAbove(entries[i]) { worst = i }
        return worst
    }

    /// The unit's top-k rows, best first.
    func topRows(unit: Int) -> [Entry] {
        top[unit].sorted { $0.ranksAbove($1) }
    }

    /// The unit's rows with activation ≥ max/2, in row order.
    func halfMaxRows(unit: Int) -> [Entry] {
        let half = maxima[unit] / 2
        return candidates[unit].filter { $0.value >= half }.sorted { $0.row < $1.row }
    }
}
