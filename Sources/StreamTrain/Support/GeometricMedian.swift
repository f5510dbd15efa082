/// The geometric median of a set of rows, argmin_m Σ_i ‖x_i − m‖₂, by Weiszfeld's iteration
/// (Weiszfeld 1937; the form SAELens ≤ 5's `compute_geometric_median` used): start at the
/// mean, then repeatedly m ← Σ_i w_i x_i / Σ_i w_i with w_i = 1 / max(‖x_i − m‖, ε), until the
/// objective changes by at most `relativeTolerance` of itself or `maxIterations` are done.
/// The ε floor keeps a step finite when m lands on a row (where the objective is not
/// differentiable). Everything in Double, rows summed in order, so the result is deterministic.
public enum GeometricMedian {
    /// What the iteration ends with.
    public struct Result: Equatable, Sendable {
        /// The median estimate, (width).
        public var median: [Double]
        /// Σ_i ‖x_i − median‖ (row-norm units).
        public var objective: Double
        /// Weiszfeld steps taken.
        public var iterations: Int
    }

    /// The geometric median of `rowCount` rows of `width` floats in `rows` (row-major).
    /// Defaults as SAELens ≤ 5: ε 1e-6, at most 100 steps, tolerance 1e-20 (in effect: all 100
    /// unless the objective stops moving in Double).
    public static func weiszfeld(rows: [Float], rowCount: Int, width: Int, maxIterations: Int = 100,
                                 epsilon: Double = 1e-6, relativeTolerance: Double = 1e-20) -> Result {
        precondition(rowCount > 0 && width > 0 && rows.count >= rowCount * width,
                     "\(rows.count) floats for \(rowCount) rows of \(width)")
        var median = mean(rows: rows, rowCount: rowCount, width: width)
        var objective = self.objective(median, rows: rows, rowCount: rowCount, width: width)
        var iterations = 0
        var sum = [Double](repeating: 0, count: width)
        while iterations < maxIterations {
            iterations += 1
            for c in 0..<width { sum[c] = 0 }
            var weightSum = 0.0
            for i in 0..<rowCount {
                let weight = 1 / max(distance(median, rows, row: i, width: width), epsilon)
                weightSum += weight
                for c in 0..<width { sum[c] += weight * Double(rows[i * width + c]) }
            }
            for c in 0..<width { median[c] = sum[c] / weightSum }
            let previous = objective
            objective = self.objective(median, rows: rows, rowCount: rowCount, width: width)
            if abs(previous - objective) <= relativeTolerance * objective { break }
        }
        return Result(median: median, objective: objective, iterations: iterations)
    }

    /// The per-dimension mean of the rows.
    public static func mean(rows: [Float], rowCount: Int, width: Int) -> [Double] {
        var out = [Double](repeating: 0, count: width)
        for i in 0..<rowCount { for c in 0..<width { out[c] += Double(rows[i * width + c]) } }
        return out.map { $0 / Double(rowCount) }
    }

    /// Σ_i ‖x_i − m‖₂, the quantity the median minimises.
    public static func objective(_ m: [Double], rows: [Float], rowCount: Int, width: Int) -> Double {
        var total = 0.0
        for i in 0..<rowCount { total += distance(m, rows, row: i, width: width) }
        return total
    }

    private static func distance(_ m: [Double], _ rows: [Float], row i: Int, width: Int) -> Double {
        var squares = 0.0
        for c in 0..<width {
            let d = Double(rows[i * width + c]) - m[c]
            squares += d * d
        }
        return squares.squareRoot()
    }
}
