import Foundation
import TensorIO

/// An SAE made elsewhere (SAELens, or a saestore export), loaded for analysis.
public struct SAELensSAE: Sendable {
    /// The SAE (architecture standard, topk, jumprelu or gated), ready for `encode`.
    public var sae: SparseAutoencoder
    /// The cfg.json metadata.
    public var metadata: SAELensMetadata
    /// cfg.json's `normalize_activations`. "expected_average_only_in" SAEs are loaded as
    /// SAELens' `load_from_disk` loads them: the scale is assumed folded into the weights.
    public var normalizeActivations: String
    /// sparsity.safetensors' log10 firing frequencies, if the file is present.
    public var logSparsity: [Float]?

    /// Reads `directory/cfg.json`, `sae_weights.safetensors` and (optional) `sparsity.safetensors`.
    public static func load(directory: URL) throws -> SAELensSAE {
        let cfgURL = directory.appendingPathComponent("cfg.json")
        let cfgPath = cfgURL.path
        let data: Data
        do { data = try Data(contentsOf: cfgURL) } catch {
            throw SAELensError.missingFile(path: cfgPath, detail: "cannot read cfg.json (\(error.localizedDescription))")
        }
        guard let cfg = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw SAELensError.badConfig(path: cfgPath, key: "(file)", expected: "a JSON object", found: "something else")
        }
        func int(_ key: String) throws -> Int {
            guard let value = cfg[key] as? Int, value > 0 else {
                throw SAELensError.badConfig(path: cfgPath, key: key, expected: "a positive integer",
                                             found: cfg[key].map { "\($0)" } ?? "nothing")
            }
            return value
        }
        let dIn = try int("d_in"), dSAE = try int("d_sae")
        // SAELens' own defaults for configs that predate a key.
        var architectureName = cfg["architecture"] as? String ?? "standard"
        var k = cfg["k"] as? Int
        if let function = (cfg["activation_fn"] ?? cfg["activation_fn_str"]) as? String, function == "topk" {
            architectureName = "topk"
            k = k ?? ((cfg["activation_fn_kwargs"] as? [String: Any])?["k"] as? Int)
        }
        let architecture: SAEArchitecture
        switch architectureName {
        case "standard": architecture = .standard
        case "topk": architecture = .topk
        case "jumprelu": architecture = .jumprelu
        case "gated": architecture = .gated
        default: throw SAELensError.unsupported(path: cfgPath, what: "architecture \"\(architectureName)\"")
        }
        if architecture == .topk, k == nil {
            throw SAELensError.badConfig(path: cfgPath, key: "k", expected: "an integer for a topk SAE", found: "nothing")
        }
        let applyBDec = cfg["apply_b_dec_to_input"] as? Bool ?? true
        let normalize = cfg["normalize_activations"] as? String ?? "none"
        guard ["none", "expected_average_only_in"].contains(normalize) else {
            throw SAELensError.unsupported(path: cfgPath, what: "normalize_activations \"\(normalize)\"")
        }
        if let dtype = cfg["dtype"] as? String, !["float32", "torch.float32", "float16", "torch.float16",
                                                   "bfloat16", "torch.bfloat16", "float64", "torch.float64"].contains(dtype) {
            throw SAELensError.unsupported(path: cfgPath, what: "dtype \"\(dtype)\"")
        }

        let weightsPath = directory.appendingPathComponent("sae_weights.safetensors").path
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: weightsPath) } catch {
            throw SAELensError.missingFile(path: weightsPath, detail: "\(error)")
        }
        func tensor(_ name: String, _ shape: [Int]) throws -> [Float] {
            guard let info = file.tensors[name] else {
                throw SAELensError.missingTensor(path: weightsPath, tensor: name, present: Array(file.tensors.keys))
            }
            guard info.shape == shape else {
                throw SAELensError.shapeMismatch(path: weightsPath, tensor: name, expected: shape, found: info.shape)
            }
            do { return try file.floats(name) } catch {
                throw SAELensError.unsupported(path: weightsPath, what: "tensor \(name): \(error)")
            }
        }
        // Pre-6 SAELens saved JumpReLU thresholds as log_threshold; 6.x converts them on load too.
        var threshold: [Float] = []
        if architecture == .jumprelu {
            threshold = file.tensors["threshold"] == nil && file.tensors["log_threshold"] != nil
                ? try tensor("log_threshold", [dSAE]).map { Float(exp(Double($0))) }
                : try tensor("threshold", [dSAE])
        }
        // A gated SAE's encoder bias is its gate path's, b_gate; b_mag and r_mag are the magnitude path's.
        let isGated = architecture.isGated
        let weights = SAEWeights(wEnc: try tensor("W_enc", [dIn, dSAE]),
                                 bEnc: try tensor(isGated ? "b_gate" : "b_enc", [dSAE]),
                                 wDec: try tensor("W_dec", [dSAE, dIn]), bDec: try tensor("b_dec", [dIn]),
                                 threshold: threshold, rMag: isGated ? try tensor("r_mag", [dSAE]) : [],
                                 bMag: isGated ? try tensor("b_mag", [dSAE]) : [])
        let sae = try SparseAutoencoder(architecture: architecture, dIn: dIn, dSAE: dSAE, k: k ?? 0,
                                        applyBDecToInput: applyBDec, weights: weights)
        var logSparsity: [Float]?
        let sparsityPath = directory.appendingPathComponent("sparsity.safetensors").path
        if FileManager.default.fileExists(atPath: sparsityPath) {
            let sparsity = try SafetensorsFile(path: sparsityPath)
            let values = try sparsity.floats("sparsity")
            guard values.count == dSAE else {
                throw SAELensError.shapeMismatch(path: sparsityPath, tensor: "sparsity", expected: [dSAE],
                                                 found: sparsity.tensors["sparsity"]?.shape ?? [])
            }
            logSparsity = values
        }
        return SAELensSAE(sae: sae, metadata: SAELensMetadata(cfg: cfg), normalizeActivations: normalize,
                          logSparsity: logSparsity)
    }
}
