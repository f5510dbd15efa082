import Foundation
import TensorIO

/// Writes an SAE as SAELens (≥ 6) reads it with `SAE.load_from_disk(dir)`:
///   cfg.json                  architecture, d_in, d_sae, dtype, device, apply_b_dec_to_input,
///                             normalize_activations, reshape_activations, k (topk), metadata
///   sae_weights.safetensors   W_enc [d_in,d_sae], W_dec [d_sae,d_in], b_enc [d_sae], b_dec [d_in],
///                             threshold [d_sae] (jumprelu, batchtopk), F32; gated: b_gate, b_mag,
///                             r_mag [d_sae] in place of b_enc
///   sparsity.safetensors      sparsity [d_sae] = log10(firing frequency + 1e-10), if given
/// The tied SAE is written as "standard" with W_dec = W_encᵀ (what it computes); batchtopk as
/// SAELens writes it, "jumprelu" with its inference threshold for every latent. An activation
/// scale s leaves θ as it is (pre-activations of raw x through W_enc·s are the trained ones). An activation
/// scale s is folded in as SAELens does (W_enc·s, W_dec/s, b_dec/s, normalize_activations
/// "none"), so the export takes raw activations; the gated SAE's b_gate, b_mag and r_mag
/// are left as they are, like θ (its two paths' pre-activations are unchanged).
///
/// A transcoder is written as SAELens' "transcoder" or "skip_transcoder" (d_out in cfg.json,
/// W_dec [d_sae,d_out], b_dec [d_out], W_skip [d_out,d_in]; metadata.hook_name_out names the
/// target column). SAELens' transcoders are ReLU only, so a TopK transcoder is refused.
public enum SAELensExporter {
    /// Exports `sae`, trained on activations multiplied by `activationScale`.
    public static func export(_ sae: SparseAutoencoder, activationScale: Float = 1,
                              firingFrequency: [Float]? = nil, metadata: SAELensMetadata,
                              to directory: URL) throws {
        precondition(activationScale > 0 && activationScale.isFinite, "activation scale \(activationScale)")
        let C = sae.dIn, H = sae.dSAE
        if let firingFrequency, firingFrequency.count != H {
            throw SAEShapeError(tensor: "sparsity", expected: "\(H) values", found: "\(firingFrequency.count) values")
        }
        if sae.transcoder != nil, sae.architecture != .standard {
            throw SAELensError.unsupported(path: directory.path, what: "exporting a \(sae.architecture.rawValue) transcoder (SAELens' Transcoder and SkipTranscoder are ReLU only; the run's checkpoints hold its weights)")
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let s = activationScale
        let wEnc = s == 1 ? sae.weights.wEnc : sae.weights.wEnc.map { $0 * s }
        let wDec = s == 1 ? sae.decoderMatrix : sae.decoderMatrix.map { $0 / s }
        let bDec = s == 1 ? sae.weights.bDec : sae.weights.bDec.map { $0 / s }
        var tensors: [(name: String, shape: [Int], values: [Float], dtype: TensorDType)] = [
            ("W_enc", [C, H], wEnc, .f32), ("W_dec", [H, C], wDec, .f32), ("b_dec", [C], bDec, .f32)]
        if sae.architecture.isGated {
            // SAELens' GatedSAE has no b_enc (it sets it to None) and loads its state dict strictly.
            tensors += [("b_gate", [H], sae.weights.bEnc, .f32), ("b_mag", [H], sae.weights.bMag, .f32),
                        ("r_mag", [H], sae.weights.rMag, .f32)]
        } else {
            tensors.append(("b_enc", [H], sae.weights.bEnc, .f32))
        }
        if sae.architecture.hasThreshold { tensors.append(("threshold", [H], sae.weights.threshold, .f32)) }
        // Transcoders validate normalize_activations none (SAETrainer), so s is 1 here.
        if sae.transcoder?.skipConnection == true { tensors.append(("W_skip", [C, C], sae.weights.wSkip, .f32)) }
        try SafetensorsWriter.write(path: directory.appendingPathComponent("sae_weights.safetensors").path,
                                    tensors: tensors)
        if let firingFrequency {
            try SafetensorsWriter.write(
                path: directory.appendingPathComponent("sparsity.safetensors").path,
                tensors: [("sparsity", [H], firingFrequency.map { Float(log10(Double($0) + 1e-10)) }, .f32)])
        }
        try writeConfig(for: sae, metadata: metadata, to: directory.appendingPathComponent("cfg.json"))
    }

    /// Exports the trainer's SAE with its activation scale and firing frequencies.
    public static func export(_ trainer: SAETrainer, metadata: SAELensMetadata, to directory: URL) throws {
        try export(trainer.sae, activationScale: trainer.state.activationScale ?? 1,
                   firingFrequency: trainer.state.tokenCount > 0 ? trainer.featureFiringFrequency : nil,
                   metadata: metadata, to: directory)
    }

    /// The SAELens inference architecture an SAE is saved as.
    static func exportedArchitecture(_ architecture: SAEArchitecture) -> String {
        switch architecture {
        case .tied, .standard: return "standard"
        case .topk: return "topk"
        case .batchtopk, .jumprelu, .matryoshka: return "jumprelu"
        case .gated: return "gated"
        }
    }

    /// SAELens' name of the training class (`metadata.training_architecture`).
    static func trainingArchitecture(_ architecture: SAEArchitecture) -> String {
        switch architecture {
        case .tied: return "standard"
        case .matryoshka: return "matryoshka_batchtopk"
        default: return architecture.rawValue
        }
    }

    static func writeConfig(for sae: SparseAutoencoder, metadata: SAELensMetadata, to url: URL) throws {
        var cfg: [String: Any] = [
            "architecture": sae.transcoder?.saeLensArchitecture ?? exportedArchitecture(sae.architecture),
            "d_in": sae.dIn,
            "d_sae": sae.dSAE,
            "dtype": "float32",
            "device": "cpu",
            "apply_b_dec_to_input": sae.applyBDecToInput,
            "normalize_activations": "none",
            "reshape_activations": "none",
            "metadata": metadata.jsonObject,
        ]
        if sae.architecture == .topk { cfg["k"] = sae.k }
        // SAELens records what trained an inference SAE in its metadata.
        var metadataObject = metadata.jsonObject
        metadataObject["training_architecture"] = trainingArchitecture(sae.architecture)
        if let transcoder = sae.transcoder {
            cfg["d_out"] = sae.dIn
            metadataObject["training_architecture"] = transcoder.saeLensArchitecture
            // SAELens' TranscoderConfig keeps the output hook out of its fields; its metadata
            // takes any key, and saestore's loader reads it back from there.
            metadataObject["hook_name_out"] = transcoder.targetColumn
        }
        cfg["metadata"] = metadataObject
        // Without a sae_lens_version (saestore is not SAELens) SAELens ≥ 6 reads the config
        // through its pre-6.0 path, which takes metadata from top-level keys; write both.
        for (key, value) in metadata.jsonObject { cfg[key] = value }
        let data = try JSONSerialization.data(withJSONObject: cfg, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: url, options: .atomic)
    }
}
