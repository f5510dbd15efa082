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
        try editConfig { $0["architecture"] = "jumprelu" }
        XCTAssertThrowsError(try SAELensSAE.load(directory: dir)) { error in
            guard case .unsupported? = error as? SAELensError else { return XCTFail("\(error)") }
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

    func testSAELensLoadsTheExport() throws {
        guard let python = pythonWith("sae_lens") else {
            throw XCTSkip("python3 cannot import sae_lens (pip install sae-lens, or set SAESTORE_PYTHON)")
        }
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var arguments = [packageRoot.appendingPathComponent("scripts/check_saelens_export.py").path]
        for (architecture, k, scale) in [(SAEArchitecture.tied, 0, Float(1)), (.standard, 0, Float(1.7)), (.topk, 6, Float(1))] {
            let sae = TestSAE.make(architecture, dIn: 16, dSAE: 64, k: k)
            let saeDir = dir.appendingPathComponent("sae-\(architecture)")
            try SAELensExporter.export(sae, activationScale: scale, firingFrequency: [Float](repeating: 0.1, count: 64),
                                       metadata: metadata, to: saeDir)
            let x = TestSAE.batch(rowCount: 10, dIn: 16)
            let loaded = try SAELensSAE.load(directory: saeDir).sae
            let probe = dir.appendingPathComponent("probe-\(architecture).safetensors").path
            try SafetensorsWriter.write(path: probe, tensors: [
                ("x", [10, 16], x, .f32), ("f", [10, 64], loaded.encode(x, rowCount: 10), .f32),
                ("x_hat", [10, 16], loaded.reconstruct(x, rowCount: 10), .f32)])
            arguments += [saeDir.path, probe]
        }
        // One Python process for all three: importing sae_lens takes seconds.
        let result = runProcess(python, arguments)
        XCTAssertEqual(result.status, 0, result.output)
    }

}
