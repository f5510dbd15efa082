import Foundation

/// The GPT-2 forward pass written as plainly as possible: nested loops, Double
/// accumulators, libm's tanh/erf/exp, no BLAS and no scratch reuse. It is the yardstick
/// the fast `GPT2Model` is tested against; it is far too slow for real use.
enum GPT2Reference {
    struct Output {
        /// Recorded hooks, each (B,T,width), after any replacement.
        var activations: [HookPoint: [Float]]
        /// (B,T,V)
        var logits: [Float]
    }

    /// Runs the whole model. If `replacing` is set its activation is passed through
    /// `transform` before the forward pass continues.
    static func forward(config: GPT2Config, weights: GPT2Weights, tokens: [UInt32], B: Int, T: Int,
                        recording hooks: Set<HookPoint> = [], replacing: HookPoint? = nil,
                        with transform: ((inout [Float]) -> Void)? = nil) -> Output {
        let C = config.embeddingWidth, NH = config.headCount, V = config.vocabularySize
        let N = B * T, hs = C / NH
        var recorded: [HookPoint: [Float]] = [:]
        func visit(_ layer: Int, _ site: HookPoint.Site, _ values: inout [Float]) {
            let point = HookPoint(layer: layer, site: site)
            if point == replacing, let transform { transform(&values) }
            if hooks.contains(point) { recorded[point] = values }
        }

        var x = [Float](repeating: 0, count: N * C)
        for n in 0..<N {
            let token = Int(tokens[n]), t = n % T
            for c in 0..<C {
                x[n * C + c] = weights.tokenEmbedding[token * C + c] + weights.positionEmbedding[t * C + c]
            }
        }
        for l in 0..<config.layerCount {
            let w = weights.layers[l]
            visit(l, .residPre, &x)

            var ln1 = layerNorm(x, w.ln1Weight, w.ln1Bias, N: N, C: C, epsilon: config.layerNormEpsilon)
            visit(l, .ln1Normalized, &ln1)
            let qkv = conv1D(ln1, w.qkvWeight, w.qkvBias, N: N, C: C, OC: 3 * C)
            var scale = config.scaleAttentionWeights ? 1 / Double(hs).squareRoot() : 1
            if config.scaleAttentionByInverseLayerIndex { scale /= Double(l + 1) }
            var mixed = [Float](repeating: 0, count: N * C)
            for b in 0..<B {
                for h in 0..<NH {
                    for t in 0..<T {
                        let qRow = (b * T + t) * 3 * C + h * hs
                        var weightsOverKeys = [Double](repeating: 0, count: t + 1)
                        for j in 0...t {
                            let kRow = (b * T + j) * 3 * C + C + h * hs
                            var dot: Double = 0
                            for i in 0..<hs { dot += Double(qkv[qRow + i]) * Double(qkv[kRow + i]) }
                            weightsOverKeys[j] = dot * scale
                        }
                        let maxScore = weightsOverKeys.max()!
                        var total: Double = 0
                        for j in 0...t {
                            weightsOverKeys[j] = Foundation.exp(weightsOverKeys[j] - maxScore)
                            total += weightsOverKeys[j]
                        }
                        for i in 0..<hs {
                            var acc: Double = 0
                            for j in 0...t {
                                acc += weightsOverKeys[j] / total * Double(qkv[(b * T + j) * 3 * C + 2 * C + h * hs + i])
                            }
                            mixed[(b * T + t) * C + h * hs + i] = Float(acc)
                        }
                    }
                }
            }
            var attnOut = conv1D(mixed, w.attnProjWeight, w.attnProjBias, N: N, C: C, OC: C)
            visit(l, .attnOut, &attnOut)
            for i in 0..<(N * C) { x[i] += attnOut[i] }
            visit(l, .residMid, &x)

            var ln2 = layerNorm(x, w.ln2Weight, w.ln2Bias, N: N, C: C, epsilon: config.layerNormEpsilon)
            visit(l, .ln2Normalized, &ln2)
            var hidden = conv1D(ln2, w.fcWeight, w.fcBias, N: N, C: C, OC: config.mlpWidth)
            for i in 0..<hidden.count { hidden[i] = gelu(hidden[i], kind: config.activation) }
            visit(l, .mlpPost, &hidden)
            var mlpOut = conv1D(hidden, w.fcProjWeight, w.fcProjBias, N: N, C: config.mlpWidth, OC: C)
            visit(l, .mlpOut, &mlpOut)
            for i in 0..<(N * C) { x[i] += mlpOut[i] }
            visit(l, .residPost, &x)
        }

        let lnf = layerNorm(x, weights.finalNormWeight, weights.finalNormBias, N: N, C: C,
                            epsilon: config.layerNormEpsilon)
        let unembedding = weights.unembedding ?? weights.tokenEmbedding
        var logits = [Float](repeating: 0, count: N * V)
        for n in 0..<N {
            for v in 0..<V {
                var acc: Double = 0
                for c in 0..<C { acc += Double(lnf[n * C + c]) * Double(unembedding[v * C + c]) }
                logits[n * V + v] = Float(acc)
            }
        }
        return Output(activations: recorded, logits: logits)
    }

    /// Mean over b and t < T-1 of −log softmax(logits[b,t])[tokens[b,t+1]], in nats.
    static func nextTokenLoss(logits: [Float], tokens: [UInt32], B: Int, T: Int, V: Int) -> Double {
        var total: Double = 0
        for b in 0..<B {
            for t in 0..<(T - 1) {
                let row = (b * T + t) * V
                var maxLogit = -Double.infinity
                for v in 0..<V { maxLogit = max(maxLogit, Double(logits[row + v])) }
                var sumExp: Double = 0
                for v in 0..<V { sumExp += Foundation.exp(Double(logits[row + v]) - maxLogit) }
                let target = Int(tokens[b * T + t + 1])
                total += Foundation.log(sumExp) + maxLogit - Double(logits[row + target])
            }
        }
        return total / Double(B * (T - 1))
    }

    // out: (N,C), inp: (N,C)
    static func layerNorm(_ inp: [Float], _ weight: [Float], _ bias: [Float], N: Int, C: Int, epsilon: Float) -> [Float] {
        var out = [Float](repeating: 0, count: N * C)
        for n in 0..<N {
            var mean: Double = 0
            for c in 0..<C { mean += Double(inp[n * C + c]) }
            mean /= Double(C)
            var variance: Double = 0
            for c in 0..<C { variance += (Double(inp[n * C + c]) - mean) * (Double(inp[n * C + c]) - mean) }
            variance /= Double(C)
            let rstd = 1 / (variance + Double(epsilon)).squareRoot()
            for c in 0..<C {
                out[n * C + c] = Float((Double(inp[n * C + c]) - mean) * rstd * Double(weight[c]) + Double(bias[c]))
            }
        }
        return out
    }

    // out: (N,OC), inp: (N,C), weight: (C,OC), bias: (OC)
    static func conv1D(_ inp: [Float], _ weight: [Float], _ bias: [Float], N: Int, C: Int, OC: Int) -> [Float] {
        var out = [Float](repeating: 0, count: N * OC)
        for n in 0..<N {
            for o in 0..<OC {
                var acc = Double(bias[o])
                for c in 0..<C { acc += Double(inp[n * C + c]) * Double(weight[c * OC + o]) }
                out[n * OC + o] = Float(acc)
            }
        }
        return out
    }

    static func gelu(_ x: Float, kind: GELUKind) -> Float {
        let v = Double(x)
        switch kind {
        case .tanh:
            return Float(0.5 * v * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v))))
        case .exact:
            return Float(0.5 * v * (1 + Foundation.erf(v / 2.0.squareRoot())))
        }
    }
}
