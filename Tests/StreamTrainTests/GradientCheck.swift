import XCTest
@testable import StreamTrain

/// A reference tensor: its SAELens name and where it is in `SAEReference.Weights`.
typealias ReferenceTensor = (String, WritableKeyPath<SAEReference.Weights, [Double]>)

/// The four tensors every architecture has.
let referenceTensors: [ReferenceTensor] = [("W_enc", \.wEnc), ("b_enc", \.bEnc), ("W_dec", \.wDec), ("b_dec", \.bDec)]

/// Checks `analytic` (the reference's gradients at `w`) against central differences of `loss`,
/// (loss(w + h·e_i) − loss(w − h·e_i)) / 2h for every entry i of every tensor in `tensors`.
/// In Double with h = 1e-6 the truncation error is ~h² and the rounding ~1e-16/h, so 1e-6 of the
/// largest gradient is a tight bound, as long as the data keeps every kink (ReLU, a threshold,
/// a TopK boundary, a gate) farther than h from where the weights put it.
func assertGradientsMatchFiniteDifferences(
    _ analytic: SAEReference.Weights, at w: SAEReference.Weights, tensors: [ReferenceTensor] = referenceTensors,
    h: Double = 1e-6, _ label: String, file: StaticString = #filePath, line: UInt = #line,
    loss: (SAEReference.Weights) -> Double
) {
    for (name, path) in tensors {
        var numeric = [Double](repeating: 0, count: w[keyPath: path].count)
        for i in numeric.indices {
            var plus = w, minus = w
            plus[keyPath: path][i] += h
            minus[keyPath: path][i] -= h
            numeric[i] = (loss(plus) - loss(minus)) / (2 * h)
        }
        assertClose(analytic[keyPath: path], numeric, relative: 1e-6, absolute: 1e-9, "\(label) d\(name)",
                    file: file, line: line)
    }
}
