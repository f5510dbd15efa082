import Extract
import BLASKernels
import Foundation
import SAELoading
import TensorIO

/// Each feature's direct effect on the next-token logits, as SAEDashboard computes it:
/// its decoder direction W_dec[f] times the unembedding, W_dec[f] · W_Uᵀ (W_U stored (V, C)
/// as wte / lm_head, or a Llama model's lm_head / embed_tokens), without the final norm.
/// TransformerLens' W_U differs by the final norm's folded gain (GPT-2's ln_f, Llama's RMSNorm
/// weight) and, for GPT-2, by centring over the vocabulary; centring shifts a feature's whole
/// row by one constant, so only the gain can change which tokens rank first. The norm's own
/// 1/rms scale is positive and position-dependent: it scales a row, never reorders it
/// (docs/FEATURES.md).
public struct LogitEffectTable: Equatable, Sendable {
    /// Tokens kept per feature and direction.
    public var tokenCount: Int
    /// Most promoted token ids, largest effect first. (F, tokenCount)
    public var promotedIDs: [Int]
    /// Their effects (logit units), parallel to `promotedIDs`. (F, tokenCount)
    public var promotedValues: [Float]
    /// Most suppressed token ids, most negative first. (F, tokenCount)
    public var suppressedIDs: [Int]
    /// Their effects (logit units, negative first), parallel to `suppressedIDs`. (F, tokenCount)
    public var suppressedValues: [Float]

    /// Feature `f`'s promoted tokens and effects, largest first; `f` indexes the table's rows (the
    /// results' feature order), not SAE ids.
    public func promoted(_ f: Int) -> [(token: Int, value: Float)] {
        (0..<tokenCount).map { (promotedIDs[f * tokenCount + $0], promotedValues[f * tokenCount + $0]) }
    }

    /// Feature `f`'s suppressed tokens and effects, most negative first; `f` as in `promoted(_:)`.
    public func suppressed(_ f: Int) -> [(token: Int, value: Float)] {
        (0..<tokenCount).map { (suppressedIDs[f * tokenCount + $0], suppressedValues[f * tokenCount + $0]) }
    }
}

/// The unembedding of a Hugging Face model directory: GPT-2's lm_head.weight when untied, else
/// wte; a Llama-family model's lm_head.weight, else embed_tokens when `tie_word_embeddings`.
public struct Unembedding: Sendable {
    /// (V, C)
    public var matrix: [Float]
    /// V: rows of `matrix` (config.json `vocab_size`).
    public var vocabularySize: Int
    /// C: columns of `matrix`, the residual width (config.json `n_embd`).
    public var width: Int
    /// The model directory the matrix came from ("in memory" when built from a matrix); named in errors.
    public var directory: String

    /// Reads config.json and the weights in `modelDirectory`, as the family its `model_type`
    /// names. GPT-2 (model.safetensors): `lm_head.weight` when the embeddings are untied, else
    /// `transformer.wte.weight` or `wte.weight`; throws `FeaturesError.invalidArgument` when none
    /// is there or its shape is not (vocab_size, n_embd). Llama family (llama, mistral, qwen2;
    /// one file or shards, F32/F16/BF16): `lm_head.weight`, or `model.embed_tokens.weight` when
    /// `tie_word_embeddings`; throws `LlamaModelError` naming the file and tensor. GPT-NeoX
    /// (Pythia): `embed_out.weight` or `lm_head.weight`, or `gpt_neox.embed_in.weight` when tied;
    /// throws `NeoXModelError`. Gemma 2: the tied `model.embed_tokens.weight` (docs/MODELS.md says
    /// what a logit effect means given its (1 + w) final norm and final soft-cap). Other
    /// `model_type`s are refused by `LanguageModelLoader.family(files:)`.
    public init(modelDirectory: String) throws {
        let family = try LanguageModelLoader.family(files: ModelFiles(directory: modelDirectory))
        // The tokenizer.json families each read their own tensor names; GPT-2 (below) has its own layout.
        let loaded: (vocabularySize: Int, width: Int, matrix: [Float])?
        switch family {
        case .gemma2:
            let (config, matrix) = try Gemma2Model.unembedding(directory: modelDirectory)
            loaded = (config.vocabularySize, config.hiddenWidth, matrix)
        case .llama:
            let (config, matrix) = try LlamaModel.unembedding(directory: modelDirectory)
            loaded = (config.vocabularySize, config.hiddenWidth, matrix)
        case .gptNeoX:
            let (config, matrix) = try NeoXModel.unembedding(directory: modelDirectory)
            loaded = (config.vocabularySize, config.hiddenWidth, matrix)
        default:
            loaded = nil
        }
        if let loaded {
            matrix = loaded.matrix
            vocabularySize = loaded.vocabularySize
            width = loaded.width
            directory = modelDirectory
            return
        }
        let config = try GPT2Config.load(path: (modelDirectory as NSString).appendingPathComponent("config.json"))
        let path = (modelDirectory as NSString).appendingPathComponent("model.safetensors")
        let file = try SafetensorsFile(path: path)
        let candidates = (config.tieWordEmbeddings ? [] : ["lm_head.weight"]) + ["transformer.wte.weight", "wte.weight"]
        guard let name = candidates.first(where: { file.tensors[$0] != nil }) else {
            throw FeaturesError.invalidArgument("\(path) has none of \(candidates.joined(separator: ", ")); is it a GPT-2 checkpoint?")
        }
        let shape = try file.info(name).shape
        guard shape == [config.vocabularySize, config.embeddingWidth] else {
            throw FeaturesError.invalidArgument("\(path): \(name) is \(shape), config.json says [\(config.vocabularySize), \(config.embeddingWidth)]")
        }
        matrix = try file.floats(name)
        vocabularySize = shape[0]
        width = shape[1]
        directory = modelDirectory
    }

    /// A given (V, C) matrix, for tests; traps when `matrix.count` is not V · C.
    public init(matrix: [Float], vocabularySize: Int, width: Int, directory: String = "in memory") {
        precondition(matrix.count == vocabularySize * width, "unembedding has \(matrix.count) values, not \(vocabularySize)×\(width)")
        self.matrix = matrix
        self.vocabularySize = vocabularySize
        self.width = width
        self.directory = directory
    }
}

/// Computes `LogitEffectTable`s from SAE decoder rows and an `Unembedding` (one sgemm per block of features).
public enum LogitEffect {
    /// Top `tokenCount` promoted and suppressed tokens for each row of `decoder` (F, C), the
    /// tokens marked in `excluded` (`CollapsedTokens`) left out.
    /// Features go through sgemm in blocks, so memory stays at block × V floats.
    public static func compute(decoder: [Float], featureCount F: Int, unembedding: Unembedding,
                               tokenCount n: Int, excluded: [Bool]? = nil) throws -> LogitEffectTable {
        let C = unembedding.width, V = unembedding.vocabularySize
        guard decoder.count == F * C else {
            throw FeaturesError.invalidArgument("the SAE's decoder rows are \(decoder.count / max(F, 1)) wide but \(unembedding.directory)'s unembedding reads \(C): the logit effect needs an SAE on the residual stream")
        }
        let n = min(n, V)
        var table = LogitEffectTable(tokenCount: n, promotedIDs: [], promotedValues: [], suppressedIDs: [], suppressedValues: [])
        let block = max(1, min(F, (1 << 24) / V))
        var logits = [Float](repeating: 0, count: block * V)
        var start = 0
        while start < F {
            let rows = min(block, F - start)
            // logits: (rows,V) = decoder[start..]: (rows,C) · W_Uᵀ, W_U: (V,C)
            decoder.withUnsafeBufferPointer { d in
                unembedding.matrix.withUnsafeBufferPointer { u in
                    logits.withUnsafeMutableBufferPointer { out in
                        BLAS.sgemm(out.baseAddress!, d.baseAddress! + start * C, u.baseAddress!, transposeB: true, m: rows, n: V, k: C, alpha: 1, beta: 0)
                    }
                }
            }
            for r in 0..<rows {
                let (top, bottom) = extremes(logits[r * V..<(r + 1) * V], n, excluded: excluded)
                table.promotedIDs += top.map(\.token)
                table.promotedValues += top.map(\.value)
                table.suppressedIDs += bottom.map(\.token)
                table.suppressedValues += bottom.map(\.value)
            }
            start += rows
        }
        return table
    }

    /// The n largest (descending) and n smallest (ascending) entries; ties to the lower id.
    static func extremes(_ row: ArraySlice<Float>, _ n: Int, excluded: [Bool]? = nil) -> (top: [(token: Int, value: Float)], bottom: [(token: Int, value: Float)]) {
        var top: [(token: Int, value: Float)] = []
        var bottom: [(token: Int, value: Float)] = []
        top.reserveCapacity(n + 1)
        bottom.reserveCapacity(n + 1)
        for (i, v) in row.enumerated() where !(excluded?[i] ?? false) {
            if top.count < n || v > top[top.count - 1].value {
                var j = top.count
                while j > 0 && v > top[j - 1].value { j -= 1 }
                top.insert((i, v), at: j)
                if top.count > n { top.removeLast() }
            }
            if bottom.count < n || v < bottom[bottom.count - 1].value {
                var j = bottom.count
                while j > 0 && v < bottom[j - 1].value { j -= 1 }
                bottom.insert((i, v), at: j)
                if bottom.count > n { bottom.removeLast() }
            }
        }
        return (top, bottom)
    }

    /// Plain definition: the dot products one by one, fully sorted.
    static func reference(decoderRow: [Float], unembedding: Unembedding, tokenCount n: Int,
                          excluded: [Bool]? = nil) -> (top: [(token: Int, value: Float)], bottom: [(token: Int, value: Float)]) {
        let C = unembedding.width
        let values = (0..<unembedding.vocabularySize).map { v -> Float in
            var sum: Float = 0
            for c in 0..<C { sum += decoderRow[c] * unembedding.matrix[v * C + c] }
            return sum
        }
        let kept = values.indices.filter { !(excluded?[$0] ?? false) }
        let order = kept.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
        let reversed = kept.sorted { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
        return (order.prefix(n).map { ($0, values[$0]) }, reversed.prefix(n).map { ($0, values[$0]) })
    }
}
