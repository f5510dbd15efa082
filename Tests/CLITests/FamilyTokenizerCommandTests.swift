import ActStore
import Foundation
import XCTest

/// `saestore tokenize` and `import --saelens-cache` with tokenizer.json models (the NeoX-style
/// and Llama 3-style tokenizers of the ingest fixtures; expected ids and texts from `tokenizers`,
/// scripts/fixtures/saelens_cache_families.py).
final class FamilyTokenizerCommandTests: XCTestCase {
    private let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Expected: Decodable {
        var model: String, context: Int
        var texts: [String], sentences: [String], sentence_ids: [[UInt32]]
    }

    private func fixture(_ family: String) throws -> (cache: String, model: String, expected: Expected) {
        let root = repo.appendingPathComponent("Tests/ExtractTests/Fixtures/saelens-cache-families/\(family)")
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: root.appendingPathComponent("expected.json")))
        return (root.appendingPathComponent("cache").path,
                repo.appendingPathComponent("Tests/ExtractTests/Fixtures/\(expected.model)").path, expected)
    }

    func testTokenizeGivesTheTokenizersIds() throws {
        for family in ["neox", "llama"] {
            let (_, model, expected) = try fixture(family)
            // --allow-special: `tokenizers`' encode matches special added tokens in the text
            // (<|endoftext|> in the NeoX vocabulary), as saestore does with the flag.
            let result = try saestore(["tokenize", "--model", model, "--allow-special"] + expected.sentences)
            XCTAssertEqual(result.status, 0, result.stderr)
            let lines = result.stdout.split(separator: "\n").map { $0.split(separator: " ").map { UInt32($0)! } }
            XCTAssertEqual(lines, expected.sentence_ids, family)
        }
    }

    func testSAELensCacheImportRebuildsTheTexts() throws {
        for family in ["neox", "llama"] {
            let (cache, model, expected) = try fixture(family)
            let store = temporaryPath(self, "saelens-\(family)")
            let result = try saestore(["import", store, "--saelens-cache", cache, "--model", model, "--quiet"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let reader = try StoreReader(path: store)
            XCTAssertEqual(reader.manifest.tokenizer, "tokenizer.json", family)
            for (doc, text) in expected.texts.enumerated() {
                XCTAssertEqual(try reader.text(ofDocument: doc), text, "\(family) sequence \(doc)")
            }
            // Appending under another model's tokenizer is refused: the ids would decode to other text.
            let other = try fixture(family == "neox" ? "llama" : "neox").model
            let append = try saestore(["import", store, "--append", "--saelens-cache", cache, "--model", other, "--quiet"])
            XCTAssertNotEqual(append.status, 0)
            XCTAssertTrue(append.stderr.contains("tokenizer.json"), append.stderr)
        }
    }
}
