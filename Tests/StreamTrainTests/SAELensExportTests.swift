import Foundation
import TensorIO
import XCTest
@testable import StreamTrain

final class SAELensExportTests: XCTestCase {
    let metadata = SAELensMetadata(modelName: "tiny-shakespeare-gpt2", hookName: "blocks.2.hook_resid_pre",
                                   contextSize: 128, prependBos: false, datasetPath: "tinyshakespeare.txt")

    func testTiedExportsAsStandardAndEncodesIdentically() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tied = TestSAE.make(.tied, dIn: 16, dSAE: 64)
        let frequency = (0..<64).map { Float($0) / 64 }
        try SAELensExporter.export(tied, firingFrequency: frequency, metadata: metadata, to: dir)
        let loaded = try SAELensSAE.load(directory: dir)
        XCTAssertEqual(loaded.sae.architecture, .standard)
        XCTAssertFalse(loaded.sae.applyBDecToInput)
        XCTAssertEqual(loaded.sae.weights.wEnc, tied.weights.wEnc)
        XCTAssertEqual(loaded.sae.weights.wDec, tied.decoderMatrix)
        XCTAssertEqual(loaded.metadata, metadata)
        XCTAssertEqual(loaded.metadata.hookLayer, 2)
        let logSparsity = try XCTUnwrap(loaded.logSparsity)
        XCTAssertEqual(logSparsity[0], -10, accuracy: 1e-5)
        XCTAssertEqual(logSparsity[32], log10(0.5), accuracy: 1e-6)

        let x = TestSAE.batch(rowCount: 20, dIn: 16)
        XCTAssertEqual(loaded.sae.encode(x, rowCount: 20), tied.encode(x, rowCount: 20))
        assertClose(loaded.sae.reconstruct(x, rowCount: 20).map(Double.init),
                    tied.reconstruct(x, rowCount: 20).map(Double.init), relative: 1e-6, absolute: 1e-7, "x̂")

        let cfg = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("cfg.json"))) as? [String: Any])
        XCTAssertEqual(cfg["architecture"] as? String, "standard")
        XCTAssertEqual(cfg["d_in"] as? Int, 16)
        XCTAssertEqual(cfg["d_sae"] as? Int, 64)
        XCTAssertEqual(cfg["dtype"] as? String, "float32")
        XCTAssertEqual(cfg["normalize_activations"] as? String, "none")
        XCTAssertEqual(cfg["apply_b_dec_to_input"] as? Bool, false)
        XCTAssertEqual((cfg["metadata"] as? [String: Any])?["hook_name"] as? String, "blocks.2.hook_resid_pre")
        XCTAssertEqual(cfg["hook_name"] as? String, "blocks.2.hook_resid_pre")
        XCTAssertNil(cfg["sae_lens_version"])
        XCTAssertNil(cfg["k"])
    }

    func testTopKRoundTripAndFoldedScale() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let topk = TestSAE.make(.topk, dIn: 16, dSAE: 64, k: 5)
        let scale: Float = 2.5
        try SAELensExporter.export(topk, activationScale: scale, metadata: SAELensMetadata(), to: dir)
        let loaded = try SAELensSAE.load(directory: dir)
        XCTAssertEqual(loaded.sae.architecture, .topk)
        XCTAssertEqual(loaded.sae.k, 5)
        XCTAssertTrue(loaded.sae.applyBDecToInput)
        XCTAssertNil(loaded.logSparsity)
        XCTAssertEqual(loaded.metadata, SAELensMetadata())
        // The export takes raw x; the trained SAE took s·x and reconstructed s·x.
        let x = TestSAE.batch(rowCount: 20, dIn: 16)
        let scaled = x.map { $0 * scale }
        assertClose(loaded.sae.encode(x, rowCount: 20).map(Double.init),
                    topk.encode(scaled, rowCount: 20).map(Double.init), relative: 1e-6, absolute: 1e-7, "f")
        assertClose(loaded.sae.reconstruct(x, rowCount: 20).map { Double($0 * scale) },
                    topk.reconstruct(scaled, rowCount: 20).map(Double.init), relative: 1e-6, absolute: 1e-7, "x̂")
        // Unscaled export of the same SAE round-trips bit for bit.
        try SAELensExporter.export(topk, metadata: SAELensMetadata(), to: dir)
        XCTAssertEqual(try SAELensSAE.load(directory: dir).sae, topk)
    }

    /// A batchtopk or jumprelu SAE (d_in 16, d_sae 64) with thresholds inside the range of its
    /// pre-activations on `TestSAE.batch` rows, so they decide which latents open.
    static func thresholdSAE(_ architecture: SAEArchitecture, k: Int) -> SparseAutoencoder {
        var weights = TestSAE.make(.standard, dIn: 16, dSAE: 64).weights
        weights.threshold = (0..<64).map { architecture == .jumprelu ? Float($0 % 7) * 0.1 : 0.25 }
        return try! SparseAutoencoder(architecture: architecture, dIn: 16, dSAE: 64, k: k, applyBDecToInput: true,
                                      weights: weights)
    }

    func testThresholdSAEsRoundTripAsSAELensJumpReLU() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let x = TestSAE.batch(rowCount: 20, dIn: 16)
        for architecture in [SAEArchitecture.batchtopk, .jumprelu, .matryoshka] {
            let sae = Self.thresholdSAE(architecture, k: 6)
            try SAELensExporter.export(sae, metadata: SAELensMetadata(), to: dir)
            let cfg = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("cfg.json"))) as? [String: Any])
            XCTAssertEqual(cfg["architecture"] as? String, "jumprelu")
            // SAELens names the training class: matryoshka is its "matryoshka_batchtopk".
            XCTAssertEqual((cfg["metadata"] as? [String: Any])?["training_architecture"] as? String,
                           architecture == .matryoshka ? "matryoshka_batchtopk" : architecture.rawValue)
            let loaded = try SAELensSAE.load(directory: dir).sae
            XCTAssertEqual(loaded.architecture, .jumprelu)
            XCTAssertEqual(loaded.weights, sae.weights, "\(architecture): every tensor, θ included, bit for bit")
            // Inference of the batchtopk SAE is its threshold: the same f as the loaded jumprelu.
            let f = sae.encode(x, rowCount: 20)
            XCTAssertEqual(loaded.encode(x, rowCount: 20), f)
            // …and θ matters: the same weights as a plain ReLU SAE open more latents.
            let relu = TestSAE.make(.standard, dIn: 16, dSAE: 64).encode(x, rowCount: 20)
            XCTAssertLessThan(f.filter { $0 > 0 }.count, relu.filter { $0 > 0 }.count, "\(architecture)")
            XCTAssertGreaterThan(f.filter { $0 > 0 }.count, 0, "\(architecture)")
        }
    }

    func testLoaderReportsMissingKeysAndShapes() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertThrowsError(try SAELensSAE.load(directory: dir)) { error in
            guard case .missingFile? = error as? SAELensError else { return XCTFail("\(error)") }
        }
        let sae = TestSAE.make(.standard, dIn: 8, dSAE: 16)
        try SAELensExporter.export(sae, metadata: SAELensMetadata(), to: dir)
        let cfgURL = dir.appendingPathComponent("cfg.json")
        let original = try Data(contentsOf: cfgURL)
        func editConfig(_ edit: (inout [String: Any]) -> Void) throws {
            var cfg = try XCTUnwrap(try JSONSerialization.jsonObject(with: original) as? [String: Any])
            edit(&cfg)
            try JSONSerialization.data(withJSONObject: cfg).write(to: cfgURL)
        }
        try editConfig { $0["d_sae"] = 32 }
        XCTAssertThrowsError(try SAELensSAE.load(directory: dir)) { error in
            XCTAssertEqual(error as? SAELensError, .shapeMismatch(path: dir.appendingPathComponent("sae_weights.safetensors").path,
                                                                   tensor: "W_enc", expected: [8, 32], found: [8, 16]))
        }
        try editConfig { $0["architecture"] = "temporal" }
        XCTAssertThrowsError(try SAELensSAE.load(directory: dir)) { error in
            guard case .unsupported? = error as? SAELensError else { return XCTFail("\(error)") }
        }
        // A "gated" config over a standard SAE's tensors names the gated tensor it lacks.
        try editConfig { $0["architecture"] = "gated" }
        XCTAssertThrowsError(try SAELensSAE.load(directory: dir)) { error in
            guard case .missingTensor(_, "b_gate", _)? = error as? SAELensError else { return XCTFail("\(error)") }
        }
        try editConfig { $0.removeValue(forKey: "d_in") }
        XCTAssertThrowsError(try SAELensSAE.load(directory: dir)) { error in
            guard case .badConfig(_, "d_in", _, _)? = error as? SAELensError else { return XCTFail("\(error)") }
        }
        try editConfig { _ in }
        try SafetensorsWriter.write(path: dir.appendingPathComponent("sae_weights.safetensors").path,
                                    tensors: [("W_enc", [8, 16], sae.weights.wEnc, .f32), ("b_enc", [16], sae.weights.bEnc, .f32),
                                              ("W_dec", [16, 8], sae.weights.wDec, .f32)])
        XCTAssertThrowsError(try SAELensSAE.load(directory: dir)) { error in
            guard case .missingTensor(_, "b_dec", let present)? = error as? SAELensError else { return XCTFail("\(error)") }
            XCTAssertEqual(present.sorted(), ["W_dec", "W_enc", "b_enc"])
        }
    }
}
