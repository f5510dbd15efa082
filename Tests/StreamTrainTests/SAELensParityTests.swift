import TensorIO
import XCTest
@testable import StreamTrain

/// The Swift trainer's batchtopk and jumprelu SAEs against SAELens' own training classes
/// (scripts/fixtures/sae_parity_saelens.py: BatchTopKTrainingSAE, JumpReLUTrainingSAE with
/// torch Adam), and AuxK against SAELens' `calculate_topk_aux_loss` in TopKTrainingSAE and
/// BatchTopKTrainingSAE with a fixed dead mask: same initial weights, same 20 batches, same
/// hyperparameters, on the dense and on the sparse kernels.
final class SAELensParityTests: XCTestCase {
    /// Tolerances: loss terms within 1e-4 relative at every step; final weights (threshold
    /// included) within 1e-4 absolute; batchtopk's running threshold within 1e-5 relative.
    /// Weights are O(0.1–1); the measured maxima are printed.
    func check(_ name: String, kernels: SAEKernelMode, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = packageRoot.appendingPathComponent("Tests/StreamTrainTests/Fixtures/saelens_parity_\(name).safetensors").path
        let fixture = try SafetensorsFile(path: path)
        let meta = fixture.metadata
        let architecture = try XCTUnwrap(SAEArchitecture(rawValue: meta["architecture"] ?? ""))
        let C = try XCTUnwrap(Int(meta["d_in"] ?? "")), H = try XCTUnwrap(Int(meta["d_sae"] ?? ""))
        let B = try XCTUnwrap(Int(meta["batch_rows"] ?? "")), steps = try XCTUnwrap(Int(meta["steps"] ?? ""))
        let extra = try XCTUnwrap(JSONSerialization.jsonObject(with: Data((meta["config"] ?? "{}").utf8)) as? [String: Any])
        var config = SAEConfig(architecture: architecture, dIn: C)
        config.dSAE = H
        config.batchSize = B
        config.learningRate = try XCTUnwrap(Double(meta["learning_rate"] ?? ""))
        config.l0Coefficient = try XCTUnwrap(Double(meta["l0_coefficient"] ?? ""))
        if let k = extra["k"] as? Int { config.k = k }
        if let r = extra["topk_threshold_lr"] as? Double { config.topkThresholdLearningRate = r }
        if let e = extra["jumprelu_bandwidth"] as? Double { config.jumpReLUBandwidth = e }
        if let c = extra["jumprelu_tanh_scale"] as? Double { config.jumpReLUTanhScale = c }
        if let alpha = extra["aux_loss_coefficient"] as? Double { config.auxKCoefficient = alpha }
        // saestore's topk loss is SAELens' divided by d_in (per-element MSE): Adam follows the
        // same path when ε is divided by d_in too (m/(√v + ε) is invariant under that scaling).
        let lossScale = architecture.sumsSquaredErrorOverInput ? 1.0 : Double(C)
        config.adamEpsilon /= lossScale
        if let mode = extra["jumprelu_sparsity_loss_mode"] as? String {
            config.jumpReLUSparsityLoss = try XCTUnwrap(JumpReLUSparsityLoss(rawValue: mode))
        }
        let trainer = try SAETrainer(config: config, options: SAETrainerOptions(kernels: kernels))
        func weights(_ prefix: String) throws -> SAEWeights {
            SAEWeights(wEnc: try fixture.floats("\(prefix).W_enc"), bEnc: try fixture.floats("\(prefix).b_enc"),
                       wDec: try fixture.floats("\(prefix).W_dec"), bDec: try fixture.floats("\(prefix).b_dec"),
                       threshold: try fixture.floats("\(prefix).threshold"))
        }
        try trainer.replaceWeights(try weights("init"))
        if config.auxKCoefficient > 0 { trainer.auxKDeadMaskOverride = try fixture.floats("dead_mask").map { $0 != 0 } }
        let x = try fixture.floats("x")
        let loss = try fixture.floats("loss"), mse = try fixture.floats("mse_loss")
        let sparsity = try fixture.floats("sparsity_loss"), thresholds = try fixture.floats("topk_threshold")
        var worstLoss = 0.0
        for s in 0..<steps {
            let rows = Array(x[(s * B * C)..<((s + 1) * B * C)])
            let got = try trainer.step(rows: rows, rowCount: B)
            // SAELens' mse_loss sums over d_in; ours is the per-element mean. Its l0_loss is λ·term.
            let auxiliary = architecture == .jumprelu ? config.l0Coefficient * got.l1 : got.auxiliary * lossScale
            let terms = [(got.total * lossScale, loss[s], "loss"), (got.mse * Double(C), mse[s], "mse"),
                         (auxiliary, sparsity[s], "sparsity")]
            for (ours, theirs, term) in terms {
                let relative = abs(ours - Double(theirs)) / max(abs(Double(theirs)), 1e-12)
                if theirs != 0 { worstLoss = max(worstLoss, relative) }
                XCTAssertTrue(theirs == 0 ? abs(ours) < 1e-9 : relative <= 1e-4,
                              "\(name) step \(s) \(term): \(ours) vs SAELens \(theirs)", file: file, line: line)
            }
            if architecture == .batchtopk {
                let ours = try XCTUnwrap(trainer.state.batchTopKThreshold)
                XCTAssertEqual(ours, Double(thresholds[s]), accuracy: 1e-5 * max(1, abs(ours)),
                               "\(name) step \(s) topk_threshold", file: file, line: line)
            }
        }
        let final = try weights("final")
        var worstWeight: Float = 0
        let ours = trainer.sae.weights.tensors + [trainer.sae.weights.threshold]
        let theirs = final.tensors + [final.threshold]
        for (i, tensorName) in (SAEWeights.tensorNames + ["threshold"]).enumerated() {
            XCTAssertEqual(ours[i].count, theirs[i].count, "\(name) \(tensorName) size", file: file, line: line)
            for j in 0..<min(ours[i].count, theirs[i].count) { worstWeight = max(worstWeight, abs(ours[i][j] - theirs[i][j])) }
        }
        XCTAssertLessThanOrEqual(worstWeight, 1e-4, "\(name): worst final weight difference", file: file, line: line)
        // Not a timing: the measured agreement, for the record in the test log.
        print("SAELens parity \(name) (\(kernels)): worst loss-term relative difference \(worstLoss), worst weight difference \(worstWeight), sparse steps \(trainer.sparseStepCount)")
    }

    func testBatchTopKMatchesSAELens() throws { try check("batchtopk", kernels: .dense) }
    func testBatchTopKSparseKernelsMatchSAELens() throws { try check("batchtopk", kernels: .sparse) }
    func testJumpReLUStepMatchesSAELens() throws { try check("jumprelu_step", kernels: .dense) }
    func testJumpReLUStepSparseKernelsMatchSAELens() throws { try check("jumprelu_step", kernels: .sparse) }
    func testJumpReLUTanhMatchesSAELens() throws { try check("jumprelu_tanh", kernels: .dense) }
    func testJumpReLUTanhSparseKernelsMatchSAELens() throws { try check("jumprelu_tanh", kernels: .sparse) }
    func testTopKAuxKMatchesSAELens() throws { try check("topk_auxk", kernels: .dense) }
    func testTopKAuxKSparseKernelsMatchSAELens() throws { try check("topk_auxk", kernels: .sparse) }
    func testBatchTopKAuxKMatchesSAELens() throws { try check("batchtopk_auxk", kernels: .dense) }
    func testBatchTopKAuxKSparseKernelsMatchSAELens() throws { try check("batchtopk_auxk", kernels: .sparse) }
    func testBatchTopKAuxKFewDeadMatchesSAELens() throws { try check("batchtopk_auxk_few", kernels: .sparse) }
}
