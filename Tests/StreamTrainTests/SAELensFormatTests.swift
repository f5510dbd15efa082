import Foundation
import TensorIO
import XCTest
@testable import StreamTrain
import TestTools

/// The SAELens export read by the real `safetensors` package (numpy, no torch) and checked
/// against SAELens 6's published format by scripts/check_saelens_format.py: cfg fields, exact
/// tensor keys, shapes and dtypes, the trained tensors with the activation scale folded in bit
/// for bit, and SAELens' encode/decode (in numpy) equal to saestore's within 1e-5. With
/// SAESTORE_SAELENS=1 (a dev machine with torch and sae-lens), SAELens itself also loads the
/// exports (scripts/check_saelens_export.py); CI has no torch: there it is the format check.
final class SAELensFormatTests: XCTestCase {
    let metadata = SAELensMetadata(modelName: "tiny-shakespeare-gpt2", hookName: "blocks.2.hook_resid_pre",
                                   contextSize: 128, prependBos: false, datasetPath: "tinyshakespeare.txt")

    func testExportMatchesSAELensFormatReadBySafetensors() throws {
        let python = try ExternalTool.python(importing: "numpy", "safetensors.numpy")
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var expectations: [String] = []
        var saelensArguments = [packageRoot.appendingPathComponent("scripts/check_saelens_export.py").path]
        let cases: [(SAEArchitecture, Int, Float)] = [(.tied, 0, 1), (.standard, 0, 1.7), (.topk, 6, 1),
                                                      (.batchtopk, 6, 1.3), (.jumprelu, 0, 0.8), (.gated, 0, 1.4),
                                                      (.matryoshka, 6, 1.3)]
        for (architecture, k, scale) in cases {
            let sae = architecture.hasThreshold ? SAELensExportTests.thresholdSAE(architecture, k: k)
                : architecture.isGated ? TestSAE.gated(dIn: 16, dSAE: 64) : TestSAE.make(architecture, dIn: 16, dSAE: 64, k: k)
            let saeDir = dir.appendingPathComponent("sae-\(architecture)")
            try SAELensExporter.export(sae, activationScale: scale, firingFrequency: [Float](repeating: 0.1, count: 64),
                                       metadata: metadata, to: saeDir)
            // What saestore computes on raw activations x: the trained SAE sees x·s, and its
            // reconstruction is divided by s again.
            let rowCount = 10
            let x = TestSAE.batch(rowCount: rowCount, dIn: 16)
            let scaled = x.map { $0 * scale }
            let f = sae.encode(scaled, rowCount: rowCount)
            let xHat = sae.reconstruct(scaled, rowCount: rowCount).map { $0 / scale }
            let fields: [(String, String)] = [
                ("dir", jsonString(saeDir.path)), ("architecture", jsonString("\(architecture)")), ("k", "\(k)"),
                ("scale", jsonNumbers([scale])), ("rows", "\(rowCount)"),
                ("w_enc", "[" + jsonNumbers(sae.weights.wEnc) + "]"), ("w_dec", "[" + jsonNumbers(sae.decoderMatrix) + "]"),
                ("b_enc", "[" + jsonNumbers(sae.weights.bEnc) + "]"), ("b_dec", "[" + jsonNumbers(sae.weights.bDec) + "]"),
                ("threshold", "[" + jsonNumbers(architecture.hasThreshold ? sae.weights.threshold : []) + "]"),
                ("r_mag", "[" + jsonNumbers(sae.weights.rMag) + "]"), ("b_mag", "[" + jsonNumbers(sae.weights.bMag) + "]"),
                ("x", "[" + jsonNumbers(x) + "]"), ("f", "[" + jsonNumbers(f) + "]"), ("x_hat", "[" + jsonNumbers(xHat) + "]"),
            ]
            let expectedURL = dir.appendingPathComponent("expected-\(architecture).json")
            try Data(("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}").utf8).write(to: expectedURL)
            expectations.append(expectedURL.path)

            let probe = dir.appendingPathComponent("probe-\(architecture).safetensors").path
            try SafetensorsWriter.write(path: probe, tensors: [("x", [rowCount, 16], x, .f32), ("f", [rowCount, 64], f, .f32),
                                                                ("x_hat", [rowCount, 16], xHat, .f32)])
            saelensArguments += [saeDir.path, probe]
        }
        let result = runProcess(python, [packageRoot.appendingPathComponent("scripts/check_saelens_format.py").path] + expectations)
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertEqual(result.output.components(separatedBy: "format and tensors ok").count - 1, cases.count, result.output)

        // The dev check, SAELens itself, with SAESTORE_SAELENS=1 (it needs torch, and importing
        // sae_lens takes minutes on a loaded machine): one process for all the exports.
        if ProcessInfo.processInfo.environment["SAESTORE_SAELENS"] == "1" {
            _ = try ExternalTool.python(importing: "sae_lens", hint: "pip install sae-lens (with torch)")
            let loaded = runProcess(python, saelensArguments)
            XCTAssertEqual(loaded.status, 0, loaded.output)
        }
    }

    /// A tampered export fails the check (the checker can fail): a wrong dtype and an extra tensor.
    func testFormatCheckRejectsAWrongExport() throws {
        let python = try ExternalTool.python(importing: "numpy", "safetensors.numpy")
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sae = TestSAE.make(.standard, dIn: 4, dSAE: 8)
        try SAELensExporter.export(sae, metadata: metadata, to: dir)
        try SafetensorsWriter.write(path: dir.appendingPathComponent("sae_weights.safetensors").path, tensors: [
            ("W_enc", [4, 8], sae.weights.wEnc, .f16), ("W_dec", [8, 4], sae.decoderMatrix, .f32),
            ("b_enc", [8], sae.weights.bEnc, .f32), ("b_dec", [4], sae.weights.bDec, .f32), ("scaling_factor", [8], [Float](repeating: 2, count: 8), .f32)])
        let expectedURL = dir.appendingPathComponent("expected.json")
        let x = TestSAE.batch(rowCount: 2, dIn: 4)
        let json = "{\"dir\": \(jsonString(dir.path)), \"architecture\": \"standard\", \"k\": 0, \"scale\": 1, \"rows\": 2, "
            + "\"w_enc\": [\(jsonNumbers(sae.weights.wEnc))], \"w_dec\": [\(jsonNumbers(sae.decoderMatrix))], "
            + "\"b_enc\": [\(jsonNumbers(sae.weights.bEnc))], \"b_dec\": [\(jsonNumbers(sae.weights.bDec))], "
            + "\"x\": [\(jsonNumbers(x))], \"f\": [\(jsonNumbers(sae.encode(x, rowCount: 2)))], \"x_hat\": [\(jsonNumbers(sae.reconstruct(x, rowCount: 2)))]}"
        try Data(json.utf8).write(to: expectedURL)
        let result = runProcess(python, [packageRoot.appendingPathComponent("scripts/check_saelens_format.py").path, expectedURL.path])
        XCTAssertEqual(result.status, 1, result.output)
        XCTAssertTrue(result.output.contains("SAELens needs exactly"), result.output)
        XCTAssertTrue(result.output.contains("W_enc dtype float16"), result.output)
    }

    /// Exact decimal for each Float: the Double holding it, printed to round-trip.
    private func jsonNumbers(_ values: [Float]) -> String {
        values.map { "\(Double($0))" }.joined(separator: ",")
    }

    private func jsonString(_ text: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [text]), as: UTF8.self).dropFirst().dropLast().description
    }
}
