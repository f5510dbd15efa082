import ActStore
import Foundation
import TensorIO
import XCTest

/// `saestore ingest --model <Llama directory>` as a user runs it: the CLI picks the family from
/// config.json and the tokenizer from tokenizer.json, and stores the rows transformers computes
/// (the tiny Llama fixture of scripts/fixtures/llama_ingest.py, the same one LlamaIngestTests
/// holds the library to); `lookup` then shows a stored token inside its document's text.
final class LlamaIngestCommandTests: XCTestCase {
    private var fixture: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ExtractTests/Fixtures/llama-ingest").path
    }

    func testIngestALlamaDirectoryStoresTransformersRows() throws {
        let store = temporaryPath(self, "llama") + ".store"
        let hook = "blocks.1.hook_resid_pre"
        let run = try saestore(["ingest", "--model", fixture, "--corpus", fixture + "/corpus.jsonl", "--store", store,
                                "--hook", hook, "--context", "16", "--batch-windows", "3", "--dtype", "f16",
                                "--quiet", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["documentsAdded"] as? Int, 5)

        let reader = try StoreReader(path: store)
        XCTAssertEqual(reader.manifest.tokenizer, "tokenizer.json")
        let expected = try SafetensorsFile(path: fixture + "/expected.safetensors")
        let expectedTokens: [Int] = try expected.withRawBytes("tokens") { raw in raw.bindMemory(to: Int32.self).map { Int($0) } }
        XCTAssertEqual(try reader.readIntegers(column: TokenColumn.tokenID, rows: 0..<reader.rowCount).map { Int($0) }, expectedTokens)
        var stored: [Float] = []
        try reader.readRows(column: hook, rows: 0..<reader.rowCount, into: &stored)
        let reference = try expected.floats(hook)
        XCTAssertEqual(stored.count, reference.count)
        // f16 rounding per coordinate (half an ulp, plus the subnormal step) on top of the forward's 1e-5.
        let largest = reference.map(abs).max()!
        for (i, (s, r)) in zip(stored, reference).enumerated() {
            XCTAssertLessThanOrEqual(abs(s - r), abs(r) * 0x1p-11 + 1e-5 * largest + 0x1p-24, "coordinate \(i)")
        }

        let lookup = try saestore(["lookup", store, "--doc", "0", "--pos", "2", "--window", "2", "--json"])
        XCTAssertEqual(lookup.status, 0, lookup.stderr)
        let context = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(lookup.stdout.utf8)) as? [String: Any])
        let text = try XCTUnwrap(try reader.text(ofDocument: 0))
        let token = try XCTUnwrap(context["token"] as? String)
        XCTAssertFalse(token.isEmpty)
        XCTAssertTrue(text.contains(token.trimmingCharacters(in: .whitespaces)), "\(token) in \(text)")
    }
}
