/// Byte-pair encoding of one pre-token: start from one token per byte and repeatedly apply the
/// lowest-ranked merge among adjacent pairs, leftmost first on ties (as `tokenizers` does).
///
/// Short words (almost all of them) use a flat array and rescan for the minimum after each
/// merge; long ones (runs of `=`, long digit strings) use a linked list and a heap so the
/// cost is O(n log n) rather than O(n²). `ReferenceBPE` is the textbook version; tests hold
/// all three equal.
struct BytePairMerger {
    /// Token id of each single byte.
    let byteTokenIDs: [UInt32]
    let merges: PairMergeTable

    /// Words longer than this (in bytes) take the heap path.
    static let heapThreshold = 128

    /// Appends the token ids of `word` to `output`.
    func encode(_ word: UnsafeBufferPointer<UInt8>, into output: inout [UInt32]) {
        let byteCount = word.count
        if byteCount == 1 {
            output.append(byteTokenIDs[Int(word[0])])
        } else if byteCount <= Self.heapThreshold {
            encodeShort(word, into: &output)
        } else {
            encodeLong(word, into: &output)
        }
    }

    private func encodeShort(_ word: UnsafeBufferPointer<UInt8>, into output: inout [UInt32]) {
        let byteCount = word.count
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: byteCount) { ids in
            withUnsafeTemporaryAllocation(of: PairMergeTable.Packed.self, capacity: byteCount) { pairMerges in
                byteTokenIDs.withUnsafeBufferPointer { byteTokenIDs in
                    for index in 0..<byteCount { ids[index] = byteTokenIDs[Int(word[index])] }
                }
                var count = byteCount
                // pairMerges[i] is the merge of (ids[i], ids[i+1]).
                for index in 0..<(count - 1) { pairMerges[index] = merges.lookup(ids[index], ids[index + 1]) }
                while count > 1 {
                    var best = PairMergeTable.noMerge
                    var bestIndex = -1
                    for index in 0..<(count - 1) where pairMerges[index] < best {
                        best = pairMerges[index]
                        bestIndex = index
                    }
                    if bestIndex < 0 { break }
                    ids[bestIndex] = UInt32(truncatingIfNeeded: best)
                    var index = bestIndex + 1
                    while index < count - 1 {
                        ids[index] = ids[index + 1]
                        pairMerges[index] = pairMerges[index + 1]
                        index += 1
                    }
                    count -= 1
                    if bestIndex > 0 { pairMerges[bestIndex - 1] = merges.lookup(ids[bestIndex - 1], ids[bestIndex]) }
                    if bestIndex < count - 1 { pairMerges[bestIndex] = merges.lookup(ids[bestIndex], ids[bestIndex + 1]) }
                }
                output.append(contentsOf: UnsafeBufferPointer(start: ids.baseAddress, count: count))
            }
        }
    }

    private func encodeLong(_ word: UnsafeBufferPointer<UInt8>, into output: inout [UInt32]) {
        let byteCount = word.count
        // Node i starts at byte i; merged-away nodes are unlinked. Position order is text order,
        // so (rank, left node) orders the heap exactly like "lowest rank, then leftmost".
        var ids = word.map { byteTokenIDs[Int($0)] }
        var next = (0..<byteCount).map { $0 + 1 == byteCount ? -1 : $0 + 1 }
        var previous = (0..<byteCount).map { $0 - 1 }
        var heap = MinHeap()
        for index in 0..<(byteCount - 1) {
            let packed = merges.lookup(ids[index], ids[index + 1])
            if packed != PairMergeTable.noMerge { heap.push(rank: UInt32(packed >> 32), node: index) }
        }
        while let (rank, node) = heap.pop() {
            let right = next[node]
            // Stale entries: the node was merged away, or its pair changed. A rank names exactly
            // one pair, so an equal rank means the entry is still that pair.
            guard ids[node] != UInt32.max, right >= 0 else { continue }
            let packed = merges.lookup(ids[node], ids[right])
            guard packed != PairMergeTable.noMerge, UInt32(packed >> 32) == rank else { continue }
            ids[node] = UInt32(truncatingIfNeeded: packed)
            ids[right] = UInt32.max
            let afterRight = next[right]
            next[node] = afterRight
            if afterRight >= 0 { previous[afterRight] = node }
            let before = previous[node]
            if before >= 0 {
                let merge = merges.lookup(ids[before], ids[node])
                if merge != PairMergeTable.noMerge { heap.push(rank: UInt32(merge >> 32), node: before) }
            }
            if afterRight >= 0 {
                let merge = merges.lookup(ids[node], ids[afterRight])
                if merge != PairMergeTable.noMerge { heap.push(rank: UInt32(merge >> 32), node: node) }
            }
        }
        var node = 0
        while node >= 0 {
            output.append(ids[node])
            node = next[node]
        }
    }

    /// Binary min-heap of `rank << 32 | node`.
    private struct MinHeap {
        private var items: [UInt64] = []

        mutating func push(rank: UInt32, node: Int) {
            items.append(UInt64(rank) << 32 | UInt64(node))
            var child = items.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                if items[parent] <= items[child] { break }
                items.swapAt(parent, child)
                child = parent
            }
        }

        mutating func pop() -> (rank: UInt32, node: Int)? {
            guard let top = items.first else { return nil }
            let last = items.removeLast()
            if !items.isEmpty {
                items[0] = last
                var parent = 0
                while true {
                    let left = 2 * parent + 1
                    if left >= items.count { break }
                    let right = left + 1
                    let child = right < items.count && items[right] < items[left] ? right : left
                    if items[parent] <= items[child] { break }
                    items.swapAt(parent, child)
                    parent = child
                }
            }
            return (UInt32(top >> 32), Int(top & 0xFFFF_FFFF))
        }
    }
}
