import Foundation
import TensorIO

/// One block's parameters, f32, row-major as transformers stores them ((out, in) for Linear).
struct LlamaLayerWeights {
    var inputNorm: [Float] = []
    var query: [Float] = [], key: [Float] = [], value: [Float] = [], output: [Float] = []
    var queryBias: [Float]?, keyBias: [Float]?, valueBias: [Float]?
    var postAttentionNorm: [Float] = []
    var gate: [Float] = [], up: [Float] = [], down: [Float] = []
}

/// All parameters of a Llama-family causal LM, converted to f32 from F32 / F16 / BF16.
struct LlamaWeights {
    var embedding: [Float]
    var layers: [LlamaLayerWeights]
    var finalNorm: [Float]
    /// Nil when tied to `embedding`.
    var unembedding: [Float]?

    /// The file holding each tensor: `model.safetensors`, or every shard
    /// `model.safetensors.index.json` names (each opened once, mapped, nothing read yet).
    static func tensorFiles(directory: String) throws -> [String: SafetensorsFile] {
        let single = (directory as NSString).appendingPathComponent("model.safetensors")
        let indexPath = (directory as NSString).appendingPathComponent("model.safetensors.index.json")
        var fileForTensor: [String: SafetensorsFile] = [:]
        var files: [SafetensorsFile] = []
        func open(_ path: String) throws -> SafetensorsFile {
            do { return try SafetensorsFile(path: path) } catch { throw LlamaModelError.unreadableFile(path: path, reason: "\(error)") }
        }
        if FileManager.default.fileExists(atPath: single) {
            files = [try open(single)]
        } else {
            guard let data = FileManager.default.contents(atPath: indexPath),
                  let index = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let map = index["weight_map"] as? [String: String] else {
                throw LlamaModelError.unreadableFile(path: FileManager.default.fileExists(atPath: indexPath) ? indexPath : single,
                                                     reason: FileManager.default.fileExists(atPath: indexPath) ? "no weight_map object" : "no such file")
            }
            var opened: [String: SafetensorsFile] = [:]
            for shard in Set(map.values).sorted() {
                guard !shard.contains("/") else { throw LlamaModelError.unreadableFile(path: indexPath, reason: "shard name \(shard) leaves the directory") }
                opened[shard] = try open((directory as NSString).appendingPathComponent(shard))
            }
            files = opened.keys.sorted().map { opened[$0]! }
        }
        for file in files {
            for name in file.tensorNames { fileForTensor[name] = file }
        }
        return fileForTensor
    }

    /// The (V, C) unembedding alone, converted to f32: `lm_head.weight`, or
    /// `model.embed_tokens.weight` when `tie_word_embeddings` (the same choice `load` makes),
    /// from the single file or whichever shard holds it; the rest of the weights is not read.
    static func unembedding(directory: String, config: LlamaConfig) throws -> [Float] {
        let files = try tensorFiles(directory: directory)
        let name = config.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight"
        let shape = [config.vocabularySize, config.hiddenWidth]
        guard let file = files[name], let info = file.tensors[name] else {
            throw LlamaModelError.missingTensor(path: directory, name: name, expectedShape: shape)
        }
        guard info.shape == shape else {
            throw LlamaModelError.wrongShape(path: file.path, name: name, expectedShape: shape, foundShape: info.shape)
        }
        do { return try file.floats(name) } catch { throw LlamaModelError.unreadableFile(path: file.path, reason: "\(name): \(error)") }
    }

    /// Reads `model.safetensors`, or every shard `model.safetensors.index.json` names, and
    /// checks each tensor's shape against `config`; unused tensors are refused.
    static func load(directory: String, config: LlamaConfig) throws -> LlamaWeights {
        var tensors = try CheckpointTensors(directory: directory)
        func read(_ name: String, _ shape: [Int]) throws -> [Float] { try tensors.read(name, shape) }
        let C = config.hiddenWidth, H = config.mlpWidth, V = config.vocabularySize
        let qWidth = config.headCount * config.headWidth, kvWidth = config.keyValueHeadCount * config.headWidth
        var weights = LlamaWeights(embedding: try read("model.embed_tokens.weight", [V, C]), layers: [],
                                   finalNorm: try read("model.norm.weight", [C]), unembedding: nil)
        for l in 0..<config.layerCount {
            let p = "model.layers.\(l)."
            var layer = LlamaLayerWeights()
            layer.inputNorm = try read(p + "input_layernorm.weight", [C])
            layer.query = try read(p + "self_attn.q_proj.weight", [qWidth, C])
            layer.key = try read(p + "self_attn.k_proj.weight", [kvWidth, C])
            layer.value = try read(p + "self_attn.v_proj.weight", [kvWidth, C])
            layer.output = try read(p + "self_attn.o_proj.weight", [C, qWidth])
            if config.attentionBias {
                layer.queryBias = try read(p + "self_attn.q_proj.bias", [qWidth])
                layer.keyBias = try read(p + "self_attn.k_proj.bias", [kvWidth])
                layer.valueBias = try read(p + "self_attn.v_proj.bias", [kvWidth])
            }
            layer.postAttentionNorm = try read(p + "post_attention_layernorm.weight", [C])
            layer.gate = try read(p + "mlp.gate_proj.weight", [H, C])
            layer.up = try read(p + "mlp.up_proj.weight", [H, C])
            layer.down = try read(p + "mlp.down_proj.weight", [C, H])
            weights.layers.append(layer)
        }
        if !config.tieWordEmbeddings {
            weights.unembedding = try read("lm_head.weight", [V, C])
        } else if tensors.fileForTensor["lm_head.weight"] != nil {
            _ = try read("lm_head.weight", [V, C])  // a tied copy some exporters write; the embedding is used
        }
        try tensors.refuseUnused()
        return weights
    }
}
