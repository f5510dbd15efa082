/// Picks the k largest entries of a row with a size-k min-heap. Order: a larger value wins; on
/// equal values the lower index wins, so the choice is deterministic (torch.topk leaves ties
/// unspecified; with real activations exact ties essentially never happen).
enum TopKSelection {
    /// Leaves the indices of the k largest of row[0..<count] in heap[0..<k], in heap order.
    static func select(row: UnsafePointer<Float>, count: Int, k: Int, heap: UnsafeMutablePointer<Int>) {
        precondition(k >= 1 && k <= count, "top-\(k) of \(count) values")
        // `worse(a, b)`: a ranks below b. The heap root is the worst kept entry.
        @inline(__always) func worse(_ a: Int, _ b: Int) -> Bool {
            let va = row[a], vb = row[b]
            return va < vb || (va == vb && a > b)
        }
        func siftDown(_ start: Int, _ size: Int) {
            var parent = start
            while true {
                let left = 2 * parent + 1
                if left >= size { return }
                var child = left
                if left + 1 < size && worse(heap[left + 1], heap[left]) { child = left + 1 }
                if !worse(heap[child], heap[parent]) { return }
                heap.swapAt(child, parent)
                parent = child
            }
        }
        for i in 0..<k { heap[i] = i }
        var start = k / 2 - 1
        while start >= 0 { siftDown(start, k); start -= 1 }
        for j in k..<count where worse(heap[0], j) {
            heap[0] = j
            siftDown(0, k)
        }
    }
}

private extension UnsafeMutablePointer {
    func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]
        self[i] = self[j]
        self[j] = t
    }
}
