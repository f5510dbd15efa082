import Foundation

extension Kernels {
    /// Sum over rows of −log softmax(logits)[target], accumulated in Double.
    // logits: (N,V), targets: (N)
    static func crossEntropySum(_ logits: UnsafePointer<Float>, targets: UnsafePointer<UInt32>, N: Int, V: Int) -> Double {
        var total: Double = 0
        for n in 0..<N {
            let row = logits + n * V
            var maxValue = -Float.infinity
            for v in 0..<V where row[v] > maxValue { maxValue = row[v] }
            var sumExp: Double = 0
            for v in 0..<V { sumExp += Double(exp(row[v] - maxValue)) }
            total += log(sumExp) + Double(maxValue) - Double(row[Int(targets[n])])
        }
        return total
    }
}
