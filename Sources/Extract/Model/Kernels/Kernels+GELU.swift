import Foundation

/// Which GELU a config's `activation_function` names.
enum GELUKind: Sendable {
    /// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))): `gelu_new`, `gelu_pytorch_tanh` (GPT-2's own).
    case tanh
    /// 0.5·x·(1 + erf(x/√2)): `gelu`.
    case exact
}

extension Kernels {
    static let sqrtTwoOverPi: Float = 0.7978845608028654

    /// GELU in place.
    // x: (count)
    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int, kind: GELUKind) {
        switch kind {
        case .tanh:
            // A plain branch-free loop: LLVM vectorises it (explicit SIMD16 code with scalar
            // operands was lowered lane by lane and ran 4× slower).
            for i in 0..<count {
                let v = x[i]
                x[i] = 0.5 * v * (1 + fastTanh(sqrtTwoOverPi * (v + 0.044715 * v * v * v)))
            }
        case .exact:
            for i in 0..<count { x[i] = 0.5 * x[i] * (1 + erf(x[i] / Float(2).squareRoot())) }
        }
    }

    /// tanh as Eigen's rational approximation (a degree-13/6 minimax fit on the clamped
    /// range, max error a few float ulps), because libm's scalar tanhf made GELU the
    /// largest non-BLAS cost of the forward pass.
    @inline(__always)
    static func fastTanh(_ input: Float) -> Float {
        let clamp: Float = 7.90531110763549805
        let x = max(min(input, clamp), -clamp)
        let x2 = x * x
        var p: Float = -2.76076847742355e-16
        p = p * x2 + 2.00018790482477e-13
        p = p * x2 - 8.60467152213735e-11
        p = p * x2 + 5.12229709037114e-08
        p = p * x2 + 1.48572235717979e-05
        p = p * x2 + 6.37261928875436e-04
        p = p * x2 + 4.89352455891786e-03
        p = p * x
        var q: Float = 1.19825839466702e-06
        q = q * x2 + 1.18534705686654e-04
        q = q * x2 + 2.26843463243900e-03
        q = q * x2 + 4.89352518554385e-03
        return p / q
    }
}
