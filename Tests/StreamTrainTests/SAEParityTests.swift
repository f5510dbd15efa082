import TensorIO
import XCTest
@testable import StreamTrain

/// The Swift trainer against PyTorch trajectories (scripts/fixtures/sae_parity.py): same initial
/// weights, same 20 batches, same hyperparameters.
final class SAEParityTests: XCTestCase {
    /// Tolerances: loss terms within 1e-4 relative at every step, final weights within 1e-4
    /// absolute (weights are O(0.1–1); Float rounding differences between sgemm and torch's
    /// kernels stay at ~1e-6 over 20 steps, see the measured maxima the test prints on failure).
    func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = packageRoot.appendingPathComponent("Tests/StreamTrainTests/Fixtures/sae_parity_\(name).safetensors").path
        let fixture = try SafetensorsFile(path: path)
        let meta = fixture.metadata
        let architecture = try XCTUnwrap(SAEArchitecture(rawValue: meta["architecture"] ?? ""))
        let C = try XCTUnwrap(Int(meta["d_in"] ?? "")), H = try XCTUnwrap(Int(meta["d_sae"] ?? ""))
        let B = try XCTUnwrap(Int(meta["batch_rows"] ?? "")), steps = try XCTUnwrap(Int(meta["steps"] ?? ""))
        var config = SAEConfig(architecture: architecture, dIn: C)
        config.dSAE = H
        config.k = Int(meta["k"] ?? "") ?? 0
        config.l1Coefficient = try XCTUnwrap(Double(meta["l1_coefficient"] ?? ""))
        config.learningRate = try XCTUnwrap(Double(meta["learning_rate"] ?? ""))
        config.applyBDecToInput = meta["apply_b_dec_to_input"] == "true"
        config.decoderUnitNorm = meta["decoder_unit_norm"] == "true"
        config.batchSize = B
        let trainer = try SAETrainer(config: config)
        func weights(_ prefix: String) throws -> SAEWeights {
            SAEWeights(wEnc: try fixture.floats("\(prefix).W_enc"), bEnc: try fixture.floats("\(prefix).b_enc"),
                       wDec: try fixture.floats("\(prefix).W_dec"), bDec: try fixture.floats("\(prefix).b_dec"))
        }
        try trainer.replaceWeights(try weights("init"))
        let x = try fixture.floats("x")
        let (loss, mse, l1) = (try fixture.floats("loss"), try fixture.floats("mse"), try fixture.floats("l1"))
        var worstLoss = 0.0
        for s in 0..<steps {
            let rows = Array(x[(s * B * C)..<((s + 1) * B * C)])
            let got = try trainer.step(rows: rows, rowCount: B)
            for (ours, theirs, term) in [(got.total, loss[s], "loss"), (got.mse, mse[s], "mse"), (got.l1, l1[s], "l1")] {
                let relative = abs(ours - Double(theirs)) / max(abs(Double(theirs)), 1e-12)
                if theirs != 0 { worstLoss = max(worstLoss, relative) }
                XCTAssertTrue(theirs == 0 ? abs(ours) < 1e-12 : relative <= 1e-4,
                              "\(name) step \(s) \(term): \(ours) vs torch \(theirs)", file: file, line: line)
            }
        }
        let final = try weights("final")
        var worstWeight: Float = 0
        for (i, tensorName) in SAEWeights.tensorNames.enumerated() {
            let ours = trainer.sae.weights.tensors[i], theirs = final.tensors[i]
            XCTAssertEqual(ours.count, theirs.count, "\(name) \(tensorName) size", file: file, line: line)
            for j in 0..<min(ours.count, theirs.count) {
                worstWeight = max(worstWeight, abs(ours[j] - theirs[j]))
            }
        }
        XCTAssertLessThanOrEqual(worstWeight, 1e-4, "\(name): worst final weight difference", file: file, line: line)
        // Not a timing: the measured agreement, for the record in the test log.
        print("parity \(name): worst loss-term relative difference \(worstLoss), worst weight difference \(worstWeight)")
    }

    func testTiedMatchesPyTorch() throws { try check("tied") }
    func testStandardMatchesPyTorch() throws { try check("standard") }
    func testStandardUnitNormMatchesPyTorch() throws { try check("standard_unitnorm") }
    func testTopKMatchesPyTorch() throws { try check("topk") }
}
