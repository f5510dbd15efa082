import ActStore
import Extract
import Foundation
import TensorIO
import XCTest
@testable import Evaluation
@testable import FeatureAnalysis
import SAELoading

/// `SAEEvaluation` with a Llama-family model (the tiny llama-ingest fixture): the downstream
/// losses on a store ingested from its corpus equal transformers' (scripts/fixtures/
/// llama_interventions.py, `cli/*`), the BOS rows are the special ones left out, and a family
/// that cannot splice is refused naming the family and the hook.
final class LlamaEvaluationTests: XCTestCase {
    typealias F = EvaluationFixtures
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ExtractTests/Fixtures")
    static let modelDirectory = fixtures.appendingPathComponent("llama-ingest").path
    static let hook = "blocks.1.hook_resid_pre"

    /// The corpus ingested as `saestore ingest --context 16` would (BOS first, f32).
    private func llamaStore() throws -> (store: String, model: any DecoderLanguageModel) {
        let (model, tokenizer) = try LanguageModelLoader.load(files: try ModelFiles.validated(directory: Self.modelDirectory))
        let ingester = try Ingester(model: model, tokenizer: tokenizer, modelName: Self.modelDirectory,
                                    config: IngestConfig(hooks: [Self.hook, "blocks.0.mlp.hook_post"], contextSize: 16, dtype: .f32, batchWindows: 3))
        let store = F.temporaryPath(self, "llama-store")
        _ = try ingester.run(store: store, sources: [Self.modelDirectory + "/corpus.jsonl"], open: { path, skip in
            try CorpusReader(path: path, options: CorpusOptions(skipDocuments: skip))
        })
        return (store, model)
    }

    /// Clean and zero-ablated CE equal transformers' over the same positions within 1e-5
    /// relative; an exact SAE recovers all of the loss and a zero SAE none; the BOS rows (700,
    /// found at position 0 of the tokenizer.json store) are left out, not GPT-2's 50256.
    func testDownstreamLossesOnALlamaStoreMatchTransformers() throws {
        let (store, model) = try llamaStore()
        let reader = try StoreReader(path: store)
        let expected = try SafetensorsFile(path: Self.fixtures.appendingPathComponent("llama-interventions/expected.safetensors").path)
        let clean = Double(try expected.floats("cli/clean_loss")[0]), zero = Double(try expected.floats("cli/zero_loss")[0])
        let count: Int = try expected.withRawBytes("cli/count") { Int($0.bindMemory(to: Int32.self)[0]) }
        let all = 0..<reader.rowCount
        let bosRows = try reader.readIntegers(column: TokenColumn.position, rows: all).filter { $0 == 0 }.count
        for (sae, isExact) in [(try F.identitySAE(width: 32), true), (try F.zeroSAE(width: 32), false)] {
            var config = EvaluationConfig(sae: try F.saeDirectory(self, sae, hook: Self.hook), store: store, firstRow: 0,
                                          endRow: reader.rowCount, topK: 5, windowsPerBatch: 2)
            config.blockRowCount = 29
            let result = try SAEEvaluation.run(config, model: model, modelName: "tiny-llama")
            let downstream = try XCTUnwrap(result.downstream)
            XCTAssertEqual(result.excludedRowCount, bosRows, "every BOS row, and only those")
            XCTAssertEqual(downstream.predictedTokenCount, count)
            XCTAssertEqual(downstream.cleanLoss, clean, accuracy: 1e-5 * clean)
            XCTAssertEqual(downstream.zeroAblationLoss, zero, accuracy: 1e-5 * zero)
            if isExact {
                XCTAssertEqual(downstream.saeLoss, downstream.cleanLoss)
                XCTAssertEqual(downstream.lossRecovered, 1)
                XCTAssertEqual(downstream.klDivergence, 0)
            } else {
                XCTAssertEqual(downstream.saeLoss, downstream.zeroAblationLoss)
                XCTAssertEqual(downstream.lossRecovered, 0)
            }
            XCTAssertTrue(result.monosemanticity.contains { $0.kind == "MLP neurons" && $0.source == "blocks.0.mlp.hook_post" },
                          "the neuron baseline reads the Llama MLP before the hook")
        }
    }

    /// A model of a family without splicing is refused with the family and the hook named;
    /// so is a GPT-2 model on a Llama store whose hook it has at another width.
    func testAFamilyThatCannotSpliceIsRefusedNamingFamilyAndHook() throws {
        final class ReadOnlyModel: DecoderLanguageModel {
            var family: ModelFamily { .gptNeoX }
            var layerCount: Int { 2 }
            var vocabularySize: Int { 703 }
            var maxSequenceLength: Int { 64 }
            var hookSites: [HookPoint.Site] { ModelFamily.gptNeoX.transformerLensSites }
            func width(of hook: HookPoint) -> Int { 32 }
            func activations(tokens: [UInt32], batch: Int, sequenceLength: Int, hooks: [HookPoint]) throws -> [HookPoint: [Float]] { [:] }
            func activations(tokens: [UInt32], sequenceLengths: [Int], hooks: [HookPoint]) throws -> [HookPoint: [Float]] { [:] }
            func nextTokenLoss(tokens: [UInt32], batch: Int, sequenceLength: Int) throws -> Float { 0 }
        }
        let (store, _) = try llamaStore()
        let sae = try F.saeDirectory(self, try F.identitySAE(width: 32), hook: Self.hook)
        let config = EvaluationConfig(sae: sae, store: store, firstRow: 0, endRow: 40)
        XCTAssertThrowsError(try SAEEvaluation.run(config, model: ReadOnlyModel(), modelName: "neox")) { error in
            XCTAssertEqual(error as? EvaluationError, .unsupportedHook(
                model: "neox", family: "gpt_neox", hook: Self.hook,
                reason: "this family's forward pass cannot replace a hook's activation, so it has no downstream loss"))
            XCTAssertTrue("\(error)".contains("gpt_neox") && "\(error)".contains(Self.hook), "\(error)")
        }
        // The neuron column on a hook site GPT-NeoX lacks: refused by the family, naming it.
        var mid = EvaluationConfig(sae: try F.saeDirectory(self, try F.identitySAE(width: 48), hook: "blocks.0.mlp.hook_post"),
                                   store: store, hook: "blocks.0.mlp.hook_post", firstRow: 0, endRow: 40)
        mid.baselines = false
        final class NoMLPModel: DecoderLanguageModel {
            var family: ModelFamily { .gptNeoX }
            var layerCount: Int { 2 }
            var vocabularySize: Int { 703 }
            var maxSequenceLength: Int { 64 }
            var hookSites: [HookPoint.Site] { [.residPre] }
            func width(of hook: HookPoint) -> Int { 32 }
            func activations(tokens: [UInt32], batch: Int, sequenceLength: Int, hooks: [HookPoint]) throws -> [HookPoint: [Float]] { [:] }
            func activations(tokens: [UInt32], sequenceLengths: [Int], hooks: [HookPoint]) throws -> [HookPoint: [Float]] { [:] }
            func nextTokenLoss(tokens: [UInt32], batch: Int, sequenceLength: Int) throws -> Float { 0 }
        }
        XCTAssertThrowsError(try SAEEvaluation.run(mid, model: NoMLPModel(), modelName: "neox")) { error in
            guard case let .unsupportedHook(model, family, hook, reason)? = error as? EvaluationError else { return XCTFail("\(error)") }
            XCTAssertEqual([model, family, hook], ["neox", "gpt_neox", "blocks.0.mlp.hook_post"])
            XCTAssertTrue(reason.contains("gpt_neox"), reason)
        }
    }

    /// `Unembedding(modelDirectory:)` of a Llama directory is its lm_head / embed_tokens, and the
    /// logit effect of a decoder row is that row times it (no final-norm gain, as SAELens).
    func testLogitEffectOfALlamaDirectoryIsTheDecoderTimesItsUnembedding() throws {
        for name in ["llama-ingest", "llama-parity/llama-f16", "llama-parity/qwen2-bias"] {
            let directory = Self.fixtures.appendingPathComponent(name).path
            let unembedding = try Unembedding(modelDirectory: directory)
            let (config, matrix) = try LlamaModel.unembedding(directory: directory)
            XCTAssertEqual(unembedding.matrix, matrix, name)
            XCTAssertEqual([unembedding.vocabularySize, unembedding.width], [config.vocabularySize, config.hiddenWidth], name)
            let C = unembedding.width
            let decoder = (0..<(3 * C)).map { Float(($0 * 7919) % 23) / 11 - 1 }
            let table = try LogitEffect.compute(decoder: decoder, featureCount: 3, unembedding: unembedding, tokenCount: 5)
            for f in 0..<3 {
                let reference = LogitEffect.reference(decoderRow: Array(decoder[(f * C)..<((f + 1) * C)]), unembedding: unembedding, tokenCount: 5)
                XCTAssertEqual(table.promoted(f).map(\.token), reference.top.map(\.token), name)
                for (a, b) in zip(table.promoted(f), reference.top) { XCTAssertEqual(a.value, b.value, accuracy: 1e-5) }
            }
        }
    }
}
