import ActStore
import Extract
import Foundation
import XCTest
@testable import FeatureAnalysis
@testable import SAELoading

/// Tokens never seen in training: the file's checks, counting from a corpus and from a store,
/// the demo model's file against its training text, and their removal from the logit effects.
final class TrainingTokensTests: XCTestCase {
    /// demo/model/training_tokens.json read with JSONSerialization (not `TrainingTokens`): per
    /// token of the vocabulary, whether the model trained on it.
    static func demoTrainedMask(vocabularySize: Int) throws -> [Bool] {
        let data = try Data(contentsOf: packageRoot.appendingPathComponent("demo/model/training_tokens.json"))
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let ids = try XCTUnwrap(object["tokenIds"] as? [Int])
        var trained = [Bool](repeating: false, count: vocabularySize)
        for id in ids { trained[id] = true }
        return trained
    }

    private func write(_ text: String, _ name: String) throws -> String {
        let directory = temporaryPath(self, "training-tokens")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testBadFilesAreRefusedNamingTheFileAndTheId() throws {
        let unsorted = try write(#"{"formatVersion":1,"source":"x","tokensCounted":3,"tokenIds":[1,5,5]}"#, "dup.json")
        XCTAssertThrowsError(try TrainingTokens.load(path: unsorted)) { error in
            XCTAssertEqual("\(error)", "\(unsorted): tokenIds[2] = 5: expected ascending, distinct ids >= 0")
        }
        let newer = try write(#"{"formatVersion":9,"source":"x","tokensCounted":0,"tokenIds":[]}"#, "newer.json")
        XCTAssertThrowsError(try TrainingTokens.load(path: newer)) { error in
            XCTAssertTrue("\(error)".contains("formatVersion 9 is newer"), "\(error)")
        }
        let notOne = try write(#"{"ids":[1]}"#, "other.json")
        XCTAssertThrowsError(try TrainingTokens.load(path: notOne)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(notOne): not a training-token file"), "\(error)")
        }
        let big = try TrainingTokens.load(path: try write(#"{"formatVersion":1,"source":"x","tokensCounted":2,"tokenIds":[3,70]}"#, "big.json"))
        XCTAssertEqual(try big.untrainedMask(vocabularySize: 71, path: "f").enumerated().filter { !$0.element }.map(\.offset), [3, 70])
        XCTAssertThrowsError(try big.untrainedMask(vocabularySize: 70, path: "f")) { error in
            XCTAssertTrue("\(error)".contains("tokenIds[1] = 70 is beyond the model's vocabulary of 70"), "\(error)")
        }
    }

    /// Counting a JSONL corpus gives the union of each document's ids (bad lines skipped and
    /// counted), and the file round-trips.
    func testCountingACorpusGivesEveryDocumentsIds() throws {
        let model = packageRoot.appendingPathComponent("demo/model").path
        let tokenizer = try ModelTokenizer.load(directory: model)
        let documents = ["First Citizen: Before we proceed", "any further, hear me speak.", "Zebra quantum 🎉 naïve"]
        let lines = [#"{"text": "First Citizen: Before we proceed"}"#, "not json", #"{"text": "any further, hear me speak."}"#,
                     #"{"text": "Zebra quantum 🎉 naïve"}"#]
        let path = try write(lines.joined(separator: "\n") + "\n", "corpus.jsonl")
        let (tokens, bad) = try TrainingTokens.count(corpus: try CorpusReader(path: path), tokenizer: tokenizer)
        let expected = documents.map { tokenizer.encode($0, allowSpecial: false) }
        XCTAssertEqual(bad, 1)
        XCTAssertEqual(tokens.tokenIds, Set(expected.joined().map(Int.init)).sorted())
        XCTAssertEqual(tokens.tokensCounted, expected.map(\.count).reduce(0, +))
        let file = temporaryPath(self, "tokens.json")
        try tokens.write(to: file)
        XCTAssertEqual(try TrainingTokens.load(path: file), tokens)
    }

    /// Counting a store's token_id column equals the distinct ids of its non-BOS rows, read as
    /// one whole column.
    func testCountingAStoreSkipsBOSRows() throws {
        let fixture = try TinyModelFixture.get()
        let reader = try StoreReader(path: fixture.store)
        let ids = try reader.readIntegers(column: TokenColumn.tokenID, rows: 0..<reader.rowCount)
        let positions = try reader.readIntegers(column: TokenColumn.position, rows: 0..<reader.rowCount)
        XCTAssertGreaterThan(reader.chunkCount, 3, "the test needs several chunks")
        let counted = try TrainingTokens.count(store: reader)
        let kept = zip(ids, positions).filter { $0.1 != 0 }.map { Int($0.0) }
        XCTAssertEqual(counted.tokenIds, Set(kept).sorted())
        XCTAssertEqual(counted.tokensCounted, kept.count)
        XCTAssertFalse(counted.tokenIds.contains(50256), "BOS (<|endoftext|>) rows are skipped")
        let withBOS = try TrainingTokens.count(store: reader, includePositionZero: true)
        XCTAssertEqual(withBOS.tokenIds, Set(ids.map(Int.init)).sorted())
    }

    /// demo/model/training_tokens.json was written by scripts/make_demo.py with Hugging Face
    /// tokenizers; saestore's tokenizer on the same text prefix gives the same ids.
    func testDemoModelsTrainingTokensAreReproducedFromItsTrainingText() throws {
        let file = try TrainingTokens.load(path: packageRoot.appendingPathComponent("demo/model/training_tokens.json").path)
        let characters = try XCTUnwrap(Int(try XCTUnwrap(file.source.split(separator: "(the first ").last?.split(separator: " ").first)))
        let text = try String(contentsOf: try sharedData("corpora/tinyshakespeare.txt"), encoding: .utf8)
        let prefix = String(String.UnicodeScalarView(text.unicodeScalars.prefix(characters)))
        let tokenizer = try ModelTokenizer.load(directory: packageRoot.appendingPathComponent("demo/model").path)
        let ids = tokenizer.encode(prefix, allowSpecial: false)
        XCTAssertEqual(ids.count, file.tokensCounted)
        XCTAssertEqual(Set(ids.map(Int.init)).sorted(), file.tokenIds)
        XCTAssertEqual(file.tokenIds.count, 11265)
    }

    /// With the demo model, untrained tokens never appear among a feature's promoted or
    /// suppressed tokens, and the counts in the results add up.
    func testUntrainedTokensAreLeftOutOfTheLogitEffects() throws {
        let fixture = try TinyModelFixture.get()
        let trained = try Self.demoTrainedMask(vocabularySize: 50257)
        let unembedding = try Unembedding(modelDirectory: fixture.modelDirectory)
        let exclusions = try LogitExclusions.find(unembedding, modelDirectory: fixture.modelDirectory)
        let collapsed = CollapsedTokens.find(unembedding)
        XCTAssertEqual(exclusions.untrainedCount, 50257 - 11265)
        XCTAssertEqual(exclusions.excluded, zip(collapsed, trained).map { $0 || !$1 })
        // The collapsed-row heuristic against the ground truth on this model: it finds every
        // untrained token, and also flags 110 of the 11,265 trained ones (rare tokens).
        XCTAssertEqual(zip(collapsed, trained).filter { !$0.0 && !$0.1 }.count, 0)
        XCTAssertEqual(zip(collapsed, trained).filter { $0.0 && $0.1 }.count, 110)

        let out = URL(fileURLWithPath: temporaryPath(self, "untrained-results"))
        let source = try SAESource(path: fixture.saeDirectory)
        let results = try FeatureScanJob.run(reader: try StoreReader(path: fixture.store), sae: source,
                                             config: FeatureScanConfig(column: try source.column(nil), topK: 5, quantileCount: 0),
                                             modelDirectory: fixture.modelDirectory, out: out)
        let m = results.manifest
        XCTAssertEqual(m.logitTokensUntrained, 50257 - 11265)
        XCTAssertEqual(m.logitTokensCollapsed, collapsed.filter { $0 }.count)
        XCTAssertEqual(m.logitTokensLeftOut, exclusions.leftOutCount)
        XCTAssertEqual(m.trainingTokens.map { ($0 as NSString).lastPathComponent }, TrainingTokens.fileName)
        let logits = try XCTUnwrap(results.logits)
        for f in 0..<results.tables.featureCount {
            for entry in logits.promoted(f) + logits.suppressed(f) {
                XCTAssertTrue(trained[entry.token], "feature \(f) lists untrained token \(entry.token)")
            }
        }
        let note = try XCTUnwrap(m.logitTokensLeftOutNote)
        XCTAssertTrue(note.contains("\(50257 - 11265) never seen in training (training_tokens.json)"), note)
        // Reloaded from disk, the inspector gives the same sentence.
        let inspector = try FeatureInspector(resultsDirectory: out)
        XCTAssertEqual(try inspector.detail(feature: 0, quantiles: false).logitTokensLeftOutNote, note)
    }

    /// An explicit --training-tokens file wins over the model directory's.
    func testAnExplicitFileReplacesTheModelDirectorysOne() throws {
        let fixture = try TinyModelFixture.get()
        let unembedding = try Unembedding(modelDirectory: fixture.modelDirectory)
        let everything = TrainingTokens(source: "all", tokensCounted: 50257, distinct: Set(0..<50257))
        let path = temporaryPath(self, "all.json")
        try everything.write(to: path)
        let exclusions = try LogitExclusions.find(unembedding, modelDirectory: fixture.modelDirectory, trainingTokensPath: path)
        XCTAssertEqual(exclusions.untrainedCount, 0)
        XCTAssertEqual(exclusions.excluded, CollapsedTokens.find(unembedding))
        XCTAssertThrowsError(try LogitExclusions.find(unembedding, modelDirectory: fixture.modelDirectory,
                                                      trainingTokensPath: path + ".missing")) { error in
            XCTAssertTrue("\(error)".contains("cannot read the training-token file"), "\(error)")
        }
    }
}
