/// SentencePiece-style BPE of one word: each Unicode scalar starts as its own vocabulary token;
/// one the vocabulary lacks becomes its UTF-8 bytes' `<0xXX>` tokens (`byte_fallback`) or the
/// unknown token, consecutive unknowns fused into one (`fuse_unk`). Then the lowest-ranked
/// adjacent pair merges, leftmost first on ties, until none has a merge, as in `tokenizers`.
///
/// Each output token carries its length in the word's bytes (an unknown token's varies), so
/// spans need no lookup. `ReferenceSentencePieceBPE` is the textbook version; tests hold them equal.
struct ScalarPairMerger: Sendable {
    let idForScalar: [UInt32: UInt32]
    /// The 256 `<0xXX>` ids when `byte_fallback` is on and all of them exist.
    let byteFallbackIDs: [UInt32]?
    let unknownID: UInt32?
    let fuseUnknown: Bool
    let merges: PairMergeTable
    /// With `ignore_merges`, a word that is itself in the vocabulary is that one token.
    let wholeWordIDs: [[UInt8]: UInt32]?

    /// Appends the word's token ids and their byte lengths.
    func encode(_ word: UnsafeBufferPointer<UInt8>, ids output: inout [UInt32], lengths outputLengths: inout [Int32]) {
        if let wholeWordIDs, let id = wholeWordIDs[Array(word)] {
            output.append(id)
            outputLengths.append(Int32(word.count))
            return
        }
        var ids: [UInt32] = []
        var lengths: [Int32] = []
        ids.reserveCapacity(word.count)
        lengths.reserveCapacity(word.count)
        var index = 0
        var previousWasUnknown = false
        while index < word.count {
            let length = PreTokenizerPipeline.scalarLength(word[index])
            var value = UInt32(word[index])
            if length > 1 {
                value &= UInt32(0xFF >> (length + 1))
                for offset in 1..<length { value = value << 6 | UInt32(word[index + offset] & 0x3F) }
            }
            if let id = idForScalar[value] {
                ids.append(id)
                lengths.append(Int32(length))
                previousWasUnknown = false
            } else if let byteFallbackIDs {
                for offset in 0..<length {
                    ids.append(byteFallbackIDs[Int(word[index + offset])])
                    lengths.append(1)
                }
                previousWasUnknown = false
            } else if let unknownID {
                if fuseUnknown && previousWasUnknown {
                    lengths[lengths.count - 1] += Int32(length)
                } else {
                    ids.append(unknownID)
                    lengths.append(Int32(length))
                }
                previousWasUnknown = true
            }
            // HFTokenizer's init refuses a model with neither byte fallback nor an unknown token.
            index += length
        }
        merge(&ids, &lengths)
        output.append(contentsOf: ids)
        outputLengths.append(contentsOf: lengths)
    }

    /// Heap of (rank, position) over a linked list, as `BytePairMerger`'s long-word path.
    private func merge(_ ids: inout [UInt32], _ lengths: inout [Int32]) {
        let count = ids.count
        guard count > 1 else { return }
        var next = (0..<count).map { $0 + 1 == count ? -1 : $0 + 1 }
        var previous = (0..<count).map { $0 - 1 }
        var heap: [UInt64] = []
        func push(_ rank: UInt32, _ node: Int) {
            heap.append(UInt64(rank) << 32 | UInt64(node))
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                if heap[parent] <= heap[child] { break }
                heap.swapAt(parent, child)
                child = parent
            }
        }
        func pop() -> UInt64? {
            guard let top = heap.first else { return nil }
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var parent = 0
                while true {
                    let left = 2 * parent + 1
                    if left >= heap.count { break }
                    let right = left + 1
                    let child = right < heap.count && heap[right] < heap[left] ? right : left
                    if heap[parent] <= heap[child] { break }
                    heap.swapAt(parent, child)
                    parent = child
                }
            }
            return top
        }
        for index in 0..<(count - 1) {
            let packed = merges.lookup(ids[index], ids[index + 1])
            if packed != PairMergeTable.noMerge { push(UInt32(packed >> 32), index) }
        }
        while let top = pop() {
            let rank = UInt32(top >> 32)
            let node = Int(top & 0xFFFF_FFFF)
            let right = next[node]
            guard lengths[node] >= 0, right >= 0 else { continue }
            let packed = merges.lookup(ids[node], ids[right])
            guard packed != PairMergeTable.noMerge, UInt32(packed >> 32) == rank else { continue }
            ids[node] = UInt32(truncatingIfNeeded: packed)
            lengths[node] += lengths[right]
            lengths[right] = -1
            let afterRight = next[right]
            next[node] = afterRight
            if afterRight >= 0 { previous[afterRight] = node }
            let before = previous[node]
            if before >= 0 {
                let merge = merges.lookup(ids[before], ids[node])
                if merge != PairMergeTable.noMerge { push(UInt32(merge >> 32), before) }
            }
            if afterRight >= 0 {
                let merge = merges.lookup(ids[node], ids[afterRight])
                if merge != PairMergeTable.noMerge { push(UInt32(merge >> 32), node) }
            }
        }
        var keptIDs: [UInt32] = []
        var keptLengths: [Int32] = []
        var node = 0
        while node >= 0 {
            keptIDs.append(ids[node])
            keptLengths.append(lengths[node])
            node = next[node]
        }
        ids = keptIDs
        lengths = keptLengths
    }
}
