/// The flat buffer a data-parallel step sums over ranks in one allreduce:
///
///   [ n·dW_enc | n·db_enc | n·dW_dec | n·db_dec | (gated: n·dr_mag | n·db_mag) |
///     fired rows per latent (H) | n | n·mse | n·l1 | n·total | n·auxiliary ]
///
/// where n is the rank's row count and the gradients are of its rows' mean loss (the loss
/// terms likewise: every term of every architecture that trains data-parallel is a mean over
/// rows, so n·term summed and divided by Σn is the term of the concatenated batch). After the sum,
/// dividing by Σn gives the gradient of the mean loss over all ranks' rows — what one process
/// computes on the concatenated batch (MSE and L1 are means over rows, docs/SAE.md). Row and
/// firing counts are integers below 2²⁴, exact in Float.
struct GradientReduction {
    var flat: [Float]
    private let sizes: [Int]
    private let latentCount: Int

    /// The tensors the buffer carries: the four every SAE has, and the gated SAE's magnitude path.
    private let paths: [WritableKeyPath<SAEWeights, [Float]>]

    init(gradients: SAEWeights, latentCount: Int) {
        paths = GradientReduction.basePaths + (gradients.rMag.isEmpty ? [] : [\.rMag, \.bMag])
        sizes = paths.map { gradients[keyPath: $0].count }
        self.latentCount = latentCount
        flat = [Float](repeating: 0, count: sizes.reduce(0, +) + latentCount + 5)
    }

    private var tailOffset: Int { sizes.reduce(0, +) + latentCount }

    /// Σn after the sum.
    var rowCount: Int { Int(flat[tailOffset]) }

    private static let basePaths: [WritableKeyPath<SAEWeights, [Float]>] = [\.wEnc, \.bEnc, \.wDec, \.bDec]

    /// Writes this rank's share; a rank without rows this step writes zeros.
    mutating func pack(gradients: SAEWeights, firedRowCounts: [Int32], rowCount n: Int, losses: SAELosses, pool: WorkerPool) {
        let weight = Float(n)
        var offset = 0
        for (index, path) in paths.enumerated() {
            let count = sizes[index]
            if n > 0 {
                GradientReduction.scaledCopy(gradients[keyPath: path], into: &flat, at: offset, count: count, by: weight, pool: pool)
            } else {
                flat.withUnsafeMutableBufferPointer { $0.baseAddress!.advanced(by: offset).update(repeating: 0, count: count) }
            }
            offset += count
        }
        for j in 0..<latentCount { flat[offset + j] = n > 0 ? Float(firedRowCounts[j]) : 0 }
        offset += latentCount
        flat[offset] = weight
        flat[offset + 1] = Float(Double(n) * losses.mse)
        flat[offset + 2] = Float(Double(n) * losses.l1)
        flat[offset + 3] = Float(Double(n) * losses.total)
        flat[offset + 4] = Float(Double(n) * losses.auxiliary)
    }

    /// Reads the summed buffer back as the mean gradient over all ranks' rows and returns
    /// the step's losses (mean over all rows; the active-latent count stays with each rank's
    /// metric window).
    func unpack(into gradients: inout SAEWeights, firedRowCounts: inout [Int32], pool: WorkerPool) -> SAELosses {
        let total = Double(rowCount)
        let inverse = Float(1 / total)
        var offset = 0
        for (index, path) in paths.enumerated() {
            let count = sizes[index]
            var tensor = gradients[keyPath: path]
            gradients[keyPath: path] = []          // keep the array uniquely referenced
            GradientReduction.scaledCopy(flat, from: offset, into: &tensor, count: count, by: inverse, pool: pool)
            gradients[keyPath: path] = tensor
            offset += count
        }
        for j in 0..<latentCount { firedRowCounts[j] = Int32(flat[offset + j]) }
        offset += latentCount
        let mse = Double(flat[offset + 1]) / total, l1 = Double(flat[offset + 2]) / total
        var losses = SAELosses(mse: mse, l1: l1, total: Double(flat[offset + 3]) / total, activeLatentCount: 0)
        losses.auxiliary = Double(flat[offset + 4]) / total
        return losses
    }

    // out[at..<at+count] = source · scale
    private static func scaledCopy(_ source: [Float], into out: inout [Float], at: Int, count: Int, by scale: Float, pool: WorkerPool) {
        source.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                multiply(dst.baseAddress! + at, src.baseAddress!, count: count, by: scale, pool: pool)
            }
        }
    }

    // out[0..<count] = source[from..<from+count] · scale
    private static func scaledCopy(_ source: [Float], from: Int, into out: inout [Float], count: Int, by scale: Float, pool: WorkerPool) {
        source.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                multiply(dst.baseAddress!, src.baseAddress! + from, count: count, by: scale, pool: pool)
            }
        }
    }

    private static func multiply(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int, by factor: Float,
                              pool: WorkerPool) {
        guard count > 0 else { return }
        if count < 1 << 16 {
            for i in 0..<count { dst[i] = src[i] * factor }
            return
        }
        pool.run { part in
            for i in WorkerPool.range(count, part: part, of: pool.threadCount) { dst[i] = src[i] * factor }
        }
    }
}
