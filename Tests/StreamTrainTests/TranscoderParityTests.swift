import Foundation
import TensorIO
import XCTest
@testable import StreamTrain

/// The Swift transcoder trainer against scripts/fixtures/transcoder_parity.py: SAELens'
/// `Transcoder` / `SkipTranscoder` forward pass (a plain torch top-k in the TopK case) with
/// saestore's loss and torch.optim.Adam, from the same initial weights on the same 20 batches.
final class TranscoderParityTests: XCTestCase {
    /// Tolerances: every step's loss terms within 1e-4 relative, final weights within 1e-4
    /// absolute (weights are O(0.01–1); float32 sums of 16–64 terms in different orders drift
    /// by ~1e-6 a step). The measured maxima are printed.
    func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = packageRoot.appendingPathComponent("Tests/StreamTrainTests/Fixtures/transcoder_parity_\(name).safetensors").path
        let fixture = try SafetensorsFile(path: path)
        let meta = fixture.metadata
        let architecture = try XCTUnwrap(SAEArchitecture(rawValue: meta["architecture"] ?? ""))
        let C = try XCTUnwrap(Int(meta["d_in"] ?? "")), H = try XCTUnwrap(Int(meta["d_sae"] ?? ""))
        let B = try XCTUnwrap(Int(meta["batch_rows"] ?? "")), steps = try XCTUnwrap(Int(meta["steps"] ?? ""))
        let skip = meta["skip"] == "true"
        var config = SAEConfig(architecture: architecture, dIn: C)
        config.dSAE = H
        config.batchSize = B
        config.k = try XCTUnwrap(Int(meta["k"] ?? ""))
        config.learningRate = try XCTUnwrap(Double(meta["learning_rate"] ?? ""))
        config.l1Coefficient = try XCTUnwrap(Double(meta["l1_coefficient"] ?? ""))
        config.applyBDecToInput = false
        config.transcoder = TranscoderOptions(targetColumn: "y", skipConnection: skip)
        let trainer = try SAETrainer(config: config)
        func weights(_ prefix: String) throws -> SAEWeights {
            SAEWeights(wEnc: try fixture.floats("\(prefix).W_enc"), bEnc: try fixture.floats("\(prefix).b_enc"),
                       wDec: try fixture.floats("\(prefix).W_dec"), bDec: try fixture.floats("\(prefix).b_dec"),
                       wSkip: skip ? try fixture.floats("\(prefix).W_skip") : [])
        }
        try trainer.replaceWeights(try weights("init"))
        let x = try fixture.floats("x"), y = try fixture.floats("y")
        let loss = try fixture.floats("loss"), mse = try fixture.floats("mse_loss"), l1 = try fixture.floats("l1_loss")
        var worstLoss = 0.0
        for s in 0..<steps {
            var paired = [Float]()
            for b in (s * B)..<((s + 1) * B) {
                paired += x[(b * C)..<((b + 1) * C)]
                paired += y[(b * C)..<((b + 1) * C)]
            }
            let got = try trainer.step(rows: paired, rowCount: B)
            for (ours, theirs, term) in [(got.total, loss[s], "loss"), (got.mse * Double(C), mse[s], "mse"), (got.l1, l1[s], "l1")] {
                let relative = abs(ours - Double(theirs)) / max(abs(Double(theirs)), 1e-12)
                worstLoss = max(worstLoss, relative)
                XCTAssertLessThan(relative, 1e-4, "\(name) step \(s) \(term): \(ours) vs \(theirs)", file: file, line: line)
            }
        }
        let final = try weights("final")
        var worstWeight: Float = 0
        for (tensor, ours, theirs) in [("W_enc", trainer.sae.weights.wEnc, final.wEnc), ("b_enc", trainer.sae.weights.bEnc, final.bEnc),
                                       ("W_dec", trainer.sae.weights.wDec, final.wDec), ("b_dec", trainer.sae.weights.bDec, final.bDec),
                                       ("W_skip", trainer.sae.weights.wSkip, final.wSkip)] {
            XCTAssertEqual(ours.count, theirs.count, "\(name) \(tensor)", file: file, line: line)
            let diff = zip(ours, theirs).map { abs($0 - $1) }.max() ?? 0
            worstWeight = max(worstWeight, diff)
            XCTAssertLessThan(diff, 1e-4, "\(name) final \(tensor)", file: file, line: line)
        }
        print("transcoder parity \(name): worst loss rel \(worstLoss), worst weight abs \(worstWeight)")
    }

    func testReLU() throws { try check("relu") }
    func testReLUSkip() throws { try check("relu_skip") }
    func testTopKSkip() throws { try check("topk_skip") }
}
