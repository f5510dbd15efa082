import Foundation

extension Kernels {
    /// Causal softmax limited to a sliding window, with optional tanh soft-capping of the scores
    /// (Gemma 2: tanh(s/cap)·cap before the mask and the softmax, as transformers' eager
    /// attention). Row t keeps columns `AttentionWindow.firstKeyPosition(t, window)`...t; every
    /// other column becomes an exact zero so the following (T,T)·(T,hs) product needs no mask.
    /// With `window` nil and `softCap` nil this is `causalSoftmax`.
    // scores: (T,T), in place
    static func windowedCausalSoftmax(_ scores: UnsafeMutablePointer<Float>, T: Int, window: Int?, softCap: Float?) {
        for t in 0..<T {
            let row = scores + t * T
            let first = AttentionWindow.firstKeyPosition(queryPosition: t, window: window)
            if let softCap {
                // libm's tanh, not fastTanh: the cap saturates, and the reference loops use tanh too.
                for j in first...t { row[j] = tanh(row[j] / softCap) * softCap }
            }
            var maxValue = -Float.infinity
            for j in first...t where row[j] > maxValue { maxValue = row[j] }
            var total: Float = 0
            for j in first...t {
                let e = exp(row[j] - maxValue)
                row[j] = e
                total += e
            }
            let inverse = 1 / total
            for j in first...t { row[j] *= inverse }
            if first > 0 { row.update(repeating: 0, count: first) }
            if t + 1 < T { (row + t + 1).update(repeating: 0, count: T - t - 1) }
        }
    }
}
