/// BatchTopK's selection: the k·B largest positive values of a whole (B, H) batch. Order as
/// `TopKSelection`: a larger value wins, on equal values the lower flat index (row-major), so
/// the choice is deterministic (torch.topk leaves ties unspecified).
enum BatchTopKSelection {
    /// The value t such that keeping every value > t and the first `keep − count(> t)` values
    /// equal to t (in flat order) keeps the `keep` largest positive values; nil when at most
    /// `keep` values are positive (then every positive value is kept). `scratch` needs room for
    /// every positive value. Quickselect: O(n) on average, against the reference's sort.
    static func cutoff(_ values: UnsafePointer<Float>, count: Int, keep: Int,
                       scratch: UnsafeMutablePointer<Float>) -> Float? {
        var positives = 0
        for i in 0..<count where values[i] > 0 {
            scratch[positives] = values[i]
            positives += 1
        }
        guard positives > keep, keep > 0 else { return keep > 0 ? nil : .infinity }
        // The keep-th largest = the (positives − keep)-th smallest (0-based) of the positives.
        return select(scratch, count: positives, rank: positives - keep)
    }

    /// The element of rank `rank` (0-based, ascending) of a[0..<count], reordering a.
    static func select(_ a: UnsafeMutablePointer<Float>, count: Int, rank: Int) -> Float {
        var lo = 0, hi = count - 1
        while lo < hi {
            // Median of three as the pivot keeps sorted and reversed inputs linear.
            let mid = lo + (hi - lo) / 2
            let pivot = max(min(a[lo], a[mid]), min(max(a[lo], a[mid]), a[hi]))
            var i = lo, j = hi
            while i <= j {
                while a[i] < pivot { i += 1 }
                while a[j] > pivot { j -= 1 }
                if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
            }
            if rank <= j { hi = j } else if rank >= i { lo = i } else { return a[rank] }
        }
        return a[rank]
    }

    /// The plain reference of `cutoff`: every positive value sorted descending.
    static func cutoffReference(_ values: [Float], keep: Int) -> Float? {
        let positives = values.filter { $0 > 0 }.sorted(by: >)
        guard keep > 0 else { return .infinity }
        return positives.count > keep ? positives[keep - 1] : nil
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    @inline(__always) fileprivate func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]
        self[i] = self[j]
        self[j] = t
    }
}
