/// The row norms behind the activation scale (`normalizeActivations`), shared by the
/// single-process trainer and the data-parallel streams.
enum ActivationNorms {
    /// Σ_r ‖x_r‖₂ (in Double) over the first `rowCount` rows of `rows` ((rowCount, width)
    /// row-major). A non-finite value throws, naming it as row `firstRow + r` before step 1.
    // rows: (rowCount, width)
    static func sum(_ rows: [Float], rowCount: Int, width: Int, firstRow: Int) throws -> Double {
        var normSum = 0.0
        for r in 0..<rowCount {
            var squares = 0.0
            for c in 0..<width {
                let value = rows[r * width + c]
                guard value.isFinite else {
                    throw TrainingError.nonFiniteActivations(step: 0, row: firstRow + r, element: c, value: value)
                }
                squares += Double(value) * Double(value)
            }
            normSum += squares.squareRoot()
        }
        return normSum
    }
}
