import ActStore
import Foundation
import XCTest
@testable import Extract

/// `SAELensCacheImporter` with tokenizer.json vocabularies: the caches of
/// scripts/fixtures/saelens_cache_families.py hold ids of the NeoX-style and the Llama 3-style
/// tokenizers of the ingest fixtures; every sequence's text must be what `tokenizers` decodes
/// (special tokens dropped), each token's span its bytes in that text, the BOS row's span empty,
/// and the activations copied exactly.
final class SAELensCacheFamilyTests: XCTestCase {
    struct Expected: Decodable {
        var model: String, hook: String, context: Int, width: Int, bos: UInt32
        var token_ids: [[UInt32]], texts: [String]
    }

    static func fixture(_ family: String) throws -> (cache: String, model: String, expected: Expected) {
        let root = fixturesDirectory.appendingPathComponent("saelens-cache-families/\(family)")
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: root.appendingPathComponent("expected.json")))
        return (root.appendingPathComponent("cache").path, fixturesDirectory.appendingPathComponent(expected.model).path, expected)
    }

    private func storePath() -> String {
        let path = NSTemporaryDirectory() + "saelens-family-\(UUID().uuidString.prefix(8))"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testNeoXAndLlamaCachesImportWithTheirTexts() throws {
        for family in ["neox", "llama"] {
            let (cache, model, expected) = try Self.fixture(family)
            let tokenizer = try ModelTokenizer.load(directory: model)
            XCTAssertTrue(tokenizer is HFTokenizer, family)
            XCTAssertTrue(tokenizer.isSpecialToken(expected.bos) && !tokenizer.isSpecialToken(expected.token_ids[0][1]), family)
            let store = storePath()
            let summary = try SAELensCacheImporter.importCache(cache: cache, store: store, tokenizer: tokenizer, model: model, codec: .f32)
            XCTAssertEqual(summary.sequences, expected.texts.count, family)
            XCTAssertEqual(summary.rowCount, expected.texts.count * expected.context, family)
            let reader = try StoreReader(path: store)
            XCTAssertEqual(reader.manifest.tokenizer, "tokenizer.json", family)
            let ids = try reader.readIntegers(column: TokenColumn.tokenID, rows: 0..<summary.rowCount).map { UInt32($0) }
            XCTAssertEqual(ids, expected.token_ids.flatMap { $0 }, family)
            let starts = try reader.readIntegers(column: TokenColumn.byteStart, rows: 0..<summary.rowCount)
            let ends = try reader.readIntegers(column: TokenColumn.byteEnd, rows: 0..<summary.rowCount)
            for (doc, text) in expected.texts.enumerated() {
                XCTAssertEqual(try reader.text(ofDocument: doc), text, "\(family) sequence \(doc)")
                let bytes = Array(text.utf8)
                for position in 0..<expected.context {
                    let row = doc * expected.context + position
                    let span = Array(bytes[Int(starts[row])..<Int(ends[row])])
                    let want = position == 0 ? [] : tokenizer.tokenBytes(ids[row])
                    XCTAssertEqual(span, want, "\(family) sequence \(doc) position \(position)")
                }
            }
        }
    }

    func testAppendRefusesAStoreOfAnotherTokenizer() throws {
        let (cache, model, _) = try Self.fixture("neox")
        let store = storePath()
        _ = try SAELensCacheImporter.importCache(cache: cache, store: store, tokenizer: try ModelTokenizer.load(directory: model),
                                                 model: model, codec: .f32)
        let demo = packageRoot.appendingPathComponent("demo/model")
        let gpt2 = try GPT2Tokenizer(vocabPath: demo.appendingPathComponent("vocab.json").path,
                                     mergesPath: demo.appendingPathComponent("merges.txt").path)
        XCTAssertThrowsError(try SAELensCacheImporter.appendCache(cache: cache, store: store, tokenizer: gpt2)) { error in
            XCTAssertTrue("\(error)".contains("tokenizer.json") && "\(error)".contains("gpt2-bpe"), "\(error)")
        }
    }
}
