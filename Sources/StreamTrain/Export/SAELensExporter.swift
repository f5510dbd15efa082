import Foundation
import TensorIO

/// Writes an SAE as SAELens (≥ 6) reads it with `SAE.load_from_disk(dir)`:
///   cfg.json                  architecture, d_in, d_sae, dtype, device, apply_b_dec_to_input,
///                             normalize_activations, reshape_activations, k (topk), metadata
///   sae_weights.safetensors   W_enc [d_in,d_sae], W_dec [d_sae,d_in], b_enc [d_sae], b_dec [d_in], F32
///   sparsity.safetensors      sparsity [d_sae] = log10(firing frequency + 1e-10), if given
/// The tied SAE is written as "standard" with W_dec = W_encᵀ (what it computes). An activation
/// scale s is folded in as SAELens does (W_enc·s, W_dec/s, b_dec/s, normalize_activations
/// "none"), so the export takes raw activations.
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
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let s = activationScale
        let wEnc = s == 1 ? sae.weights.wEnc : sae.weights.wEnc.map { $0 * s }
        let wDec = s == 1 ? sae.decoderMatrix : sae.decoderMatrix.map { $0 / s }
        let bDec = s == 1 ? sae.weights.bDec : sae.weights.bDec.map { $0 / s }
        try SafetensorsWriter.write(
            path: directory.appendingPathComponent("sae_weights.safetensors").path,
            tensors: [("W_enc", [C, H], wEnc, .f32), ("W_dec", [H, C], wDec, .f32),
                      ("b_enc", [H], sae.weights.bEnc, .f32), ("b_dec", [C], bDec, .f32)])
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

    static func writeConfig(for sae: SparseAutoencoder, metadata: SAELensMetadata, to url: URL) throws {
        var cfg: [String: Any] = [
            "architecture": sae.architecture == .topk ? "topk" : "standard",
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
        // Without a sae_lens_version (saestore is not SAELens) SAELens ≥ 6 reads the config
        // through its pre-6.0 path, which takes metadata from top-level keys; write both.
        for (key, value) in metadata.jsonObject { cfg[key] = value }
        let data = try JSONSerialization.data(withJSONObject: cfg, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: url, options: .atomic)
    }
}
