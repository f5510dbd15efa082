import ActStore
import Foundation
import StreamTrain

/// Plain Double re-computations of what the evaluation measures, to hold it against.
enum EvaluationReference {
    /// f and x̂ of one row, in Double, straight from the weights (standard and topk).
    static func encodeDecode(_ sae: SparseAutoencoder, _ x: ArraySlice<Float>, scale: Double = 1) -> (f: [Double], xhat: [Double]) {
        let C = sae.dIn, H = sae.dSAE, w = sae.weights
        let input = x.map { Double($0) * scale }
        var pre = [Double](repeating: 0, count: H)
        for j in 0..<H {
            var sum = Double(w.bEnc[j])
            for c in 0..<C {
                let centred = input[c] - (sae.applyBDecToInput ? Double(w.bDec[c]) : 0)
                sum += centred * Double(w.wEnc[c * H + j])
            }
            pre[j] = sum
        }
        var f = pre.map { max($0, 0) }
        if sae.architecture == .topk {
            let kept = Set(pre.indices.sorted { pre[$0] > pre[$1] || (pre[$0] == pre[$1] && $0 < $1) }.prefix(sae.k))
            for j in 0..<H where !kept.contains(j) { f[j] = 0 }
        }
        let decoder = sae.decoderMatrix
        var xhat = [Double](repeating: 0, count: C)
        for c in 0..<C {
            var sum = Double(w.bDec[c])
            for j in 0..<H where f[j] != 0 { sum += f[j] * Double(decoder[j * C + c]) }
            xhat[c] = sum / scale
        }
        return (f, xhat)
    }

    struct Reconstruction {
        var rowCount: Int
        var mse: Double
        var explainedVariance: Double
        var l0: Double
        var firingFrequency: [Double]
    }

    /// The reconstruction metrics over `rows` of `column`, rows with `include(row) == false` left out.
    static func reconstruction(_ sae: SparseAutoencoder, reader: any StoreReading, column: String, rows: Range<Int>,
                               scale: Double = 1, include: (Int) -> Bool = { _ in true }) throws -> Reconstruction {
        var x: [Float] = []
        try reader.readRows(column: column, rows: rows, into: &x)
        let C = sae.dIn
        var kept: [Int] = []
        var squaredError = 0.0, active = 0
        var fired = [Int](repeating: 0, count: sae.dSAE)
        for (r, row) in rows.enumerated() where include(row) {
            kept.append(r)
            let (f, xhat) = encodeDecode(sae, x[(r * C)..<((r + 1) * C)], scale: scale)
            for c in 0..<C { squaredError += (xhat[c] - Double(x[r * C + c])) * (xhat[c] - Double(x[r * C + c])) }
            for j in f.indices where f[j] > 0 { active += 1; fired[j] += 1 }
        }
        let n = Double(kept.count)
        var means = [Double](repeating: 0, count: C)
        for r in kept { for c in 0..<C { means[c] += Double(x[r * C + c]) / n } }
        var variance = 0.0
        for r in kept { for c in 0..<C { variance += (Double(x[r * C + c]) - means[c]) * (Double(x[r * C + c]) - means[c]) } }
        return Reconstruction(rowCount: kept.count, mse: squaredError / (n * Double(C)),
                              explainedVariance: 1 - squaredError / variance, l0: Double(active) / n,
                              firingFrequency: fired.map { Double($0) / n })
    }
}
