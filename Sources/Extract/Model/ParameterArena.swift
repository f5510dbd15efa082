/// Every parameter of the model copied into one allocation, like llm.c's params_memory:
/// the kernels get plain pointers and the model owns their lifetime.
final class ParameterArena {
    /// Pointers into the arena for one block; shapes as in `GPT2LayerWeights`.
    struct Layer {
        var ln1Weight, ln1Bias, qkvWeight, qkvBias, attnProjWeight, attnProjBias: UnsafePointer<Float>
        var ln2Weight, ln2Bias, fcWeight, fcBias, fcProjWeight, fcProjBias: UnsafePointer<Float>
    }

    private let base: UnsafeMutablePointer<Float>
    let floatCount: Int
    /// (V,C)
    let tokenEmbedding: UnsafePointer<Float>
    /// (P,C)
    let positionEmbedding: UnsafePointer<Float>
    let layers: [Layer]
    /// (C)
    let finalNormWeight, finalNormBias: UnsafePointer<Float>
    /// (V,C); the token embedding itself when tied.
    let unembedding: UnsafePointer<Float>

    /// `weights` must already have passed `validate(for:)`.
    init(_ weights: GPT2Weights) {
        var arrays: [[Float]] = [weights.tokenEmbedding, weights.positionEmbedding,
                                 weights.finalNormWeight, weights.finalNormBias]
        for layer in weights.layers {
            arrays += [layer.ln1Weight, layer.ln1Bias, layer.qkvWeight, layer.qkvBias,
                       layer.attnProjWeight, layer.attnProjBias, layer.ln2Weight, layer.ln2Bias,
                       layer.fcWeight, layer.fcBias, layer.fcProjWeight, layer.fcProjBias]
        }
        if let unembedding = weights.unembedding { arrays.append(unembedding) }
        floatCount = arrays.reduce(0) { $0 + $1.count }
        let base = UnsafeMutablePointer<Float>.allocate(capacity: floatCount)
        self.base = base
        var pointers: [UnsafePointer<Float>] = []
        var offset = 0
        for array in arrays {
            array.withUnsafeBufferPointer { source in
                if let s = source.baseAddress { (base + offset).update(from: s, count: source.count) }
            }
            pointers.append(UnsafePointer(base + offset))
            offset += array.count
        }
        tokenEmbedding = pointers[0]
        positionEmbedding = pointers[1]
        finalNormWeight = pointers[2]
        finalNormBias = pointers[3]
        layers = (0..<weights.layers.count).map { l in
            let p = Array(pointers[(4 + 12 * l)..<(4 + 12 * l + 12)])
            return Layer(ln1Weight: p[0], ln1Bias: p[1], qkvWeight: p[2], qkvBias: p[3],
                         attnProjWeight: p[4], attnProjBias: p[5], ln2Weight: p[6], ln2Bias: p[7],
                         fcWeight: p[8], fcBias: p[9], fcProjWeight: p[10], fcProjBias: p[11])
        }
        unembedding = weights.unembedding == nil ? tokenEmbedding : pointers[pointers.count - 1]
    }

    deinit { base.deallocate() }
}
