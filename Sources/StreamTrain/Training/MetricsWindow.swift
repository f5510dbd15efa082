import Foundation

/// Sums over the steps since the last metrics record, from which `TrainingMetrics` are made.
struct MetricsWindow {
    private(set) var stepCount = 0
    private(set) var rowCount = 0
    private var squaredErrorSum = 0.0
    private var l1Sum = 0.0            // Σ over rows of the per-row L1
    private var auxiliarySum = 0.0     // Σ over rows of the per-row auxiliary loss (gated, AuxK)
    private var activeLatentSum = 0
    // Σ over rows of matryoshka's inner-level terms; not in `packedSums`: data-parallel runs
    // refuse matryoshka (BatchTopK's selection is over the whole batch).
    private var innerReconstructionSum = 0.0
    private var inputSums: [Double]    // Σ_b x[b, c] per dimension
    private var inputSquareSum = 0.0   // Σ_b Σ_c x[b, c]²
    private var startTime: UInt64

    init(dIn: Int) {
        inputSums = [Double](repeating: 0, count: dIn)
        startTime = DispatchTime.now().uptimeNanoseconds
    }

    /// Adds one step: `x` the (scaled) batch, `residuals` its x̂ − x, both (B, C).
    mutating func add(x: [Float], residuals: [Float], rowCount B: Int, dIn C: Int, losses: SAELosses) {
        stepCount += 1
        rowCount += B
        squaredErrorSum += losses.mse * Double(B * C)
        l1Sum += losses.l1 * Double(B)
        auxiliarySum += losses.auxiliary * Double(B)
        innerReconstructionSum += losses.innerReconstruction * Double(B)
        activeLatentSum += losses.activeLatentCount
        inputSums.withUnsafeMutableBufferPointer { sums in
            x.withUnsafeBufferPointer { x in
                var squares = 0.0
                for b in 0..<B {
                    for c in 0..<C {
                        let value = Double(x[b * C + c])
                        sums[c] += value
                        squares += value * value
                    }
                }
                inputSquareSum += squares
            }
        }
    }

    /// The record for this window; `deadFraction` comes from the trainer's firing history and
    /// `learningRate` from its optimiser (the rate of the window's last step).
    func metrics(step: Int, tokenCount: Int, epoch: Int, l1Coefficient: Double, dIn C: Int,
                 deadFraction: Double, learningRate: Double) -> TrainingMetrics {
        let n = Double(max(rowCount, 1))
        let mse = squaredErrorSum / (n * Double(C))
        let l1 = l1Sum / n
        // Σ_c Σ_b (x − x̄_c)² = Σ x² − Σ_c (Σ_b x)² / n
        var centredSquares = inputSquareSum
        for c in 0..<C { centredSquares -= inputSums[c] * inputSums[c] / n }
        let explained = centredSquares > 0 ? 1 - squaredErrorSum / centredSquares : 0
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - startTime) / 1e9
        var record = TrainingMetrics(step: step, tokenCount: tokenCount, epoch: epoch,
                               wallTime: Date().timeIntervalSince1970, windowTokenCount: rowCount,
                               loss: mse + l1Coefficient * l1, mse: mse, l1: l1,
                               l0: Double(activeLatentSum) / n, explainedVariance: explained,
                               deadFeatureFraction: deadFraction,
                               tokensPerSecond: seconds > 0 ? Double(rowCount) / seconds : 0,
                               learningRate: learningRate, auxiliaryLoss: auxiliarySum / n)
        record.innerReconstructionLoss = innerReconstructionSum / n
        return record
    }

    /// The window's sums in one array (rows, Σ squared errors, Σ L1, Σ active latents, Σx²,
    /// Σ auxiliary, then Σx per dimension), so that a data-parallel run can sum them over its ranks.
    var packedSums: [Double] {
        [Double(rowCount), squaredErrorSum, l1Sum, Double(activeLatentSum), inputSquareSum, auxiliarySum] + inputSums
    }

    /// Replaces the sums by `packed` (from `packedSums`, summed over ranks); counts stay exact
    /// below 2⁵³.
    mutating func setPackedSums(_ packed: [Double]) {
        precondition(packed.count == 6 + inputSums.count, "\(packed.count) sums for a window of width \(inputSums.count)")
        rowCount = Int(packed[0])
        squaredErrorSum = packed[1]
        l1Sum = packed[2]
        activeLatentSum = Int(packed[3])
        inputSquareSum = packed[4]
        auxiliarySum = packed[5]
        inputSums = Array(packed[6...])
    }

    mutating func reset() {
        self = MetricsWindow(dIn: inputSums.count)
    }
}
