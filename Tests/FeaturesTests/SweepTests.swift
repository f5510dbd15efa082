import ActStore
import Extract
import Foundation
import StreamTrain
import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Evaluation
@testable import FeatureAnalysis
@testable import Pipeline
@testable import SAELoading
@testable import Sweep
import BLASKernels

final class SweepTests: XCTestCase {
    typealias F = EvaluationFixtures

    /// A store with some structure: each token has a direction, rows are noisy multiples of it.
    private func store() throws -> String {
        var rng = SeededGenerator(seed: 17)
        let directions = (0..<40).map { _ in (0..<F.width).map { _ in rng.nextSymmetric(bound: 1) } }
        return try F.syntheticStore(self, documents: F.documents(lengths: [400, 350, 300, 250]), chunkRows: 64) { token, row in
            let scale = 1 + Float(row % 3)
            return directions[Int(token)].map { $0 * scale + Float((row * 7 + Int(token)) % 11) / 50 - 0.1 }
        }
    }

    private func sweepConfig(store: String, out: String, architecture: SAEArchitecture = .tied,
                             l1: [Double] = [1e-3, 1e-2], ks: [Int] = []) -> SweepConfig {
        SweepConfig(store: store, hook: F.hook, out: out, architecture: architecture, l1Coefficients: l1, ks: ks,
                    expansionFactor: 2, batchSize: 48, epochs: 2, seed: 5, endRow: 1000, shuffleBufferRows: 200,
                    logIntervalSteps: 7, batchesAhead: 2,
                    evaluation: EvaluationConfig(sae: "", topK: 5, windowsPerBatch: 4))
    }

    private func tensors(_ directory: String) throws -> SAEWeights {
        try SAELensSAE.load(directory: URL(fileURLWithPath: directory).appendingPathComponent("sae")).sae.weights
    }

    /// Metrics records without their wall-clock fields.
    private func metrics(_ run: String) throws -> [[String: Double]] {
        let text = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            var record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            record["wall_time"] = nil
            record["performance/tokens_per_second"] = nil
            return record.mapValues { ($0 as! NSNumber).doubleValue }
        }
    }

    /// Every member equals `saestore train` run alone with the same settings and OpenBLAS thread
    /// count: bitwise weights and the same metrics records (members run concurrently, but no
    /// value depends on thread timing).
    func testMembersEqualSeparatelyTrainedSAEs() throws {
        let store = try store()
        for (architecture, l1, ks) in [(SAEArchitecture.tied, [1e-3, 1e-2, 3e-2], [Int]()), (.topk, [], [2, 5])] {
            let out = F.temporaryPath(self, "sweep")
            let config = sweepConfig(store: store, out: out, architecture: architecture, l1: l1, ks: ks)
            let result = try SAESweep.run(config)
            XCTAssertEqual(result.members.map(\.name), architecture == .topk ? ["k-2", "k-5"] : ["l1-0.001", "l1-0.01", "l1-0.03"])
            let batchesPerEpoch = (1000 + 47) / 48 + 1
            XCTAssertEqual(result.batchCount, 2 * batchesPerEpoch, "each batch (and each epoch end) is read once")
            for (member, runConfig) in zip(result.members, try config.members(dIn: F.width)) {
                let alone = F.temporaryPath(self, "alone")
                let threads = BLAS.threadCount
                BLAS.threadCount = config.blasThreads
                defer { BLAS.threadCount = threads }
                _ = try TrainRun.run(directory: URL(fileURLWithPath: alone), config: runConfig.run, resume: false)
                XCTAssertEqual(try tensors(member.runDirectory), try tensors(alone), member.name)
                XCTAssertEqual(try metrics(member.runDirectory), try metrics(alone), member.name)
                XCTAssertEqual(try TrainRun.loadConfig(run: URL(fileURLWithPath: member.runDirectory)), runConfig.run)
                XCTAssertEqual(member.tokenCount, 2000)
            }
        }
    }

    /// A sweep across architectures (`--member`): each member still equals its architecture
    /// trained alone with the same settings, bit for bit, and the table, plot and JSON say
    /// which architecture each member is.
    func testMembersAcrossArchitecturesEqualSeparatelyTrainedSAEs() throws {
        let store = try store()
        let out = F.temporaryPath(self, "sweep")
        var config = sweepConfig(store: store, out: out, l1: [])
        config.memberSpecs = try ["tied:l1=1e-2", "topk:k=3", "batchtopk:k=3:auxk=0.03125:dead-window=200", "jumprelu:l0=0.5",
                                  "gated:l1=1e-2", "matryoshka:k=3:widths=8,16", "standard:l1=1e-2:name=plain"].map(SweepMemberSpec.parse)
        let result = try SAESweep.run(config)
        XCTAssertEqual(result.members.map(\.name), ["tied-l1-0.01", "topk-k3", "batchtopk-k3-auxk", "jumprelu-l0-0.5",
                                                    "gated-l1-0.01", "matryoshka-k3", "plain"])
        XCTAssertEqual(result.members.map(\.architecture), [.tied, .topk, .batchtopk, .jumprelu, .gated, .matryoshka, .standard])
        XCTAssertTrue(result.members.allSatisfy { $0.failure == nil }, "\(result.members.compactMap(\.failure))")
        let members = try config.members(dIn: F.width)
        XCTAssertEqual(members[2].run.trainer.deadFeatureWindowTokens, 200)
        XCTAssertEqual(members[2].run.sae.auxKCoefficient, 0.03125)
        XCTAssertEqual(members[3].run.sae.l0Coefficient, 0.5)
        XCTAssertEqual(members[5].run.sae.matryoshkaWidths, [8, 16])
        XCTAssertEqual(members[0].run.sae.l1Coefficient, 1e-2)
        for (member, runConfig) in zip(result.members, members) {
            let alone = F.temporaryPath(self, "alone")
            let threads = BLAS.threadCount
            BLAS.threadCount = config.blasThreads
            defer { BLAS.threadCount = threads }
            _ = try TrainRun.run(directory: URL(fileURLWithPath: alone), config: runConfig.run, resume: false)
            XCTAssertEqual(try tensors(member.runDirectory), try tensors(alone), member.name)
            XCTAssertEqual(try metrics(member.runDirectory), try metrics(alone), member.name)
            XCTAssertNotNil(member.evaluation, member.name)
        }
        XCTAssertEqual(try SweepResult.read(from: URL(fileURLWithPath: out + "/sweep.json")), result)
        let markdown = try String(contentsOfFile: out + "/sweep.md", encoding: .utf8)
        XCTAssertTrue(markdown.contains("# SAE sweep: tied, topk, batchtopk, jumprelu, gated, matryoshka, standard on"), markdown)
        XCTAssertTrue(markdown.contains("| jumprelu-l0-0.5 | jumprelu |") && markdown.contains("| plain | standard |"), markdown)
        let svg = try String(contentsOfFile: out + "/sweep.svg", encoding: .utf8)
        XCTAssertTrue(svg.contains(">batchtopk-k3-auxk: "), "points are labelled by member name across architectures")
        XCTAssertTrue(XMLParser(data: Data(svg.utf8)).parse())
    }

    func testMemberSpecsAreParsedAndBadOnesRefused() throws {
        XCTAssertEqual(try SweepMemberSpec.parse("matryoshka:k=16:widths=64,256:name=m"),
                       SweepMemberSpec(architecture: .matryoshka, k: 16, matryoshkaWidths: [64, 256], name: "m"))
        XCTAssertEqual(try SweepMemberSpec.parse("tied").defaultName, "tied")
        for (text, expected) in [
            ("relu:l1=1", "not an architecture"), ("topk", "topk needs k"), ("topk:k=x", "not an integer"),
            ("tied:l1=nan", "not a finite number"), ("tied:k=4", "k applies to"), ("topk:k=4:l1=1", "l1 applies to"),
            ("tied:l0=1", "l0 applies to jumprelu"), ("matryoshka:k=4", "needs widths"), ("topk:k=4:widths=2", "widths applies to"),
            ("tied:auxk=1", "auxk applies to"), ("tied:l1=1:l1=2", "given twice"), ("tied:speed=3", "unknown key"),
            ("tied:l1", "not key=value"), ("tied:name=../x", "plain directory name"), ("topk:k=4:dead-window=0", "at least 1 row"),
        ] {
            XCTAssertThrowsError(try SweepMemberSpec.parse(text), text) { error in
                XCTAssertTrue("\(error)".contains(expected) && "\(error)".contains(text), "\(text): \(error)")
            }
        }
        let store = try store()
        var config = sweepConfig(store: store, out: F.temporaryPath(self, "sweep"), l1: [1e-3])
        config.memberSpecs = [SweepMemberSpec(architecture: .topk, k: 3)]
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("leave out --arch, --l1 and --k"), "\($0)") }
        config.l1Coefficients = []
        config.memberSpecs = [SweepMemberSpec(architecture: .topk, k: 3), SweepMemberSpec(architecture: .topk, k: 3)]
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("two sweep members are named topk-k3"), "\($0)") }
        config.memberSpecs = [SweepMemberSpec(architecture: .matryoshka, k: 3, matryoshkaWidths: [40, 8])]
        XCTAssertThrowsError(try config.members(dIn: F.width)) { XCTAssertTrue("\($0)".contains("sweep member matryoshka-k3"), "\($0)") }
    }

    /// Each member is evaluated on the rows it did not train on; sweep.json, .md and .svg
    /// describe every member; baselines are measured once.
    func testSweepEvaluatesAndWritesTablePlotAndJSON() throws {
        let store = try store()
        let out = F.temporaryPath(self, "sweep")
        let result = try SAESweep.run(sweepConfig(store: store, out: out))
        let rowCount = try StoreReader(path: store).rowCount
        for member in result.members {
            let evaluation = try XCTUnwrap(member.evaluation)
            XCTAssertEqual([evaluation.firstRow, evaluation.endRow], [1000, rowCount])
            XCTAssertEqual(try EvaluationResult.read(from: URL(fileURLWithPath: member.runDirectory + "/evaluation.json")), evaluation)
            // The evaluation is the one `saestore evaluate` gives for the member's run.
            let again = try SAEEvaluation.run(EvaluationConfig(sae: member.runDirectory, topK: 5, baselines: false, windowsPerBatch: 4))
            XCTAssertEqual(again.reconstruction, evaluation.reconstruction)
        }
        XCTAssertEqual(result.members.map { $0.evaluation!.monosemanticity.count }, [2, 1], "residual dimensions measured once")
        XCTAssertGreaterThan(result.members[0].l0!, result.members[1].l0!, "a larger λ gives a sparser SAE")

        XCTAssertEqual(try SweepResult.read(from: URL(fileURLWithPath: out + "/sweep.json")), result)
        let markdown = try String(contentsOfFile: out + "/sweep.md", encoding: .utf8)
        XCTAssertTrue(markdown.contains("| l1-0.001 |") && markdown.contains("| l1-0.01 |"), markdown)
        XCTAssertTrue(markdown.contains("residual dimensions"), markdown)
        let svg = try String(contentsOfFile: out + "/sweep.svg", encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<svg"))
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 2, "one point per member, one panel without a model")
        XCTAssertTrue(svg.contains("fraction of variance explained"))
        XCTAssertTrue(svg.contains("λ=0.001"))
        XCTAssertTrue(XMLParser(data: Data(svg.utf8)).parse(), "the SVG is well-formed XML")
    }

    /// With a model, the clean and zero-ablated losses are computed once and reused: every
    /// member's downstream numbers equal those of evaluating it alone.
    func testSweepWithAModelEqualsEvaluatingEachMemberAlone() throws {
        let model = try F.model()
        let store = try F.modelStore(self, model: model, documents: F.documents(lengths: [90, 70, 64, 50]))
        let out = F.temporaryPath(self, "sweep")
        var config = sweepConfig(store: store, out: out, l1: [1e-3, 3e-2])
        config.endRow = 200
        config.epochs = 1
        let result = try SAESweep.run(config, model: model, modelName: "random")
        for member in result.members {
            let alone = try SAEEvaluation.run(EvaluationConfig(sae: member.runDirectory, topK: 5, windowsPerBatch: 4),
                                              model: model, modelName: "random")
            XCTAssertEqual(member.evaluation?.downstream, alone.downstream, member.name)
            XCTAssertEqual(member.evaluation?.features, alone.features, member.name)
        }
        XCTAssertEqual(result.members[0].evaluation?.monosemanticity.map(\.kind), ["SAE features", "MLP neurons", "residual dimensions"])
        let svg = try String(contentsOfFile: out + "/sweep.svg", encoding: .utf8)
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 4, "two panels: FVE and CE loss recovered")
        XCTAssertTrue(svg.contains("CE loss recovered"))
    }

    func testBadSweepsAreRefused() throws {
        let store = try store()
        let out = F.temporaryPath(self, "sweep")
        func refuses(_ config: SweepConfig, _ text: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try SAESweep.run(config), file: file, line: line) { error in
                XCTAssertTrue("\(error)".contains(text), "\(error) should mention \(text)", file: file, line: line)
            }
        }
        var config = sweepConfig(store: store, out: out)
        config.hook = "blocks.5.hook_resid_pre"
        refuses(config, "no column blocks.5.hook_resid_pre")
        refuses(sweepConfig(store: store, out: out, architecture: .topk, l1: [], ks: []), "--k")
        refuses(sweepConfig(store: store, out: out, architecture: .topk, l1: [0, 1e-3], ks: [4]), "at most one --l1")
        refuses(sweepConfig(store: store, out: out, l1: [1e-3, 0.001]), "twice")
        refuses(sweepConfig(store: store, out: out, l1: [1e-3], ks: [3]), "topk only")
        config = sweepConfig(store: store, out: out)
        config.endRow = nil
        refuses(config, "leaving none to evaluate on")
        config = sweepConfig(store: store, out: out, l1: [1e-2])
        config.epochs = 1
        config.evaluation = nil
        _ = try SAESweep.run(config)
        refuses(config, "already holds a run")
    }
}
