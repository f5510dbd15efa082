/// Sums over evaluated rows from which `ReconstructionMetrics` are made (Double throughout).
struct ReconstructionAccumulator {
    private let dIn: Int
    private let latentCount: Int
    private var rowCount = 0
    private var squaredErrorSum = 0.0
    private var inputSums: [Double]
    private var inputSquareSum = 0.0
    private var activeLatentSum = 0
    private var l1Sum = 0.0
    private var firedRowCounts: [Int]

    init(dIn: Int, latentCount: Int) {
        self.dIn = dIn
        self.latentCount = latentCount
        inputSums = [Double](repeating: 0, count: dIn)
        firedRowCounts = [Int](repeating: 0, count: latentCount)
    }

    /// Adds row `r` of a block: x (B, d_in), x̂ (B, d_in), f (B, d_sae).
    mutating func add(row r: Int, x: [Float], reconstruction: [Float], latents: [Float]) {
        let C = dIn, H = latentCount
        rowCount += 1
        x.withUnsafeBufferPointer { x in
            reconstruction.withUnsafeBufferPointer { xhat in
                inputSums.withUnsafeMutableBufferPointer { sums in
                    var squares = 0.0, errors = 0.0
                    for c in 0..<C {
                        let value = Double(x[r * C + c])
                        let error = Double(xhat[r * C + c]) - value
                        sums[c] += value
                        squares += value * value
                        errors += error * error
                    }
                    inputSquareSum += squares
                    squaredErrorSum += errors
                }
            }
        }
        latents.withUnsafeBufferPointer { f in
            firedRowCounts.withUnsafeMutableBufferPointer { fired in
                var active = 0, l1 = 0.0
                for j in 0..<H where f[r * H + j] > 0 {
                    active += 1
                    l1 += Double(f[r * H + j])
                    fired[j] += 1
                }
                activeLatentSum += active
                l1Sum += l1
            }
        }
    }

    func metrics(denseThreshold: Double, activationScale: Double) -> ReconstructionMetrics {
        let n = Double(max(rowCount, 1))
        // Σ_c Σ_b (x − x̄_c)² = Σ x² − Σ_c (Σ_b x)² / n
        var centredSquares = inputSquareSum
        for c in 0..<dIn { centredSquares -= inputSums[c] * inputSums[c] / n }
        let frequency = firedRowCounts.map { Double($0) / n }
        return ReconstructionMetrics(
            rowCount: rowCount, mse: squaredErrorSum / (n * Double(dIn)),
            explainedVariance: centredSquares > 0 ? 1 - squaredErrorSum / centredSquares : 0,
            l0: Double(activeLatentSum) / n, l1: l1Sum / n,
            deadFeatureCount: firedRowCounts.filter { $0 == 0 }.count,
            denseFeatureCount: frequency.filter { $0 > denseThreshold }.count,
            denseThreshold: denseThreshold, latentCount: latentCount, firingFrequency: frequency,
            activationScale: activationScale)
    }
}
