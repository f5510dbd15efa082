import ActStore
import Extract
import Foundation
import SAELoading
import StreamTrain
import XCTest
@testable import Serve

/// POST /encode: live tokenize → forward → store codec → SAE gives the same numbers as
/// ingesting the text into a store and encoding its rows with the SAE.
final class EncodeEndpointTests: XCTestCase {
    /// A text of three windows (the fixture's context is 32 with BOS) that is not in the store.
    private func text(_ fixture: ServeFixture) throws -> String {
        let corpus = try String(contentsOf: packageRoot.appendingPathComponent("demo/corpus/tinyshakespeare-heldout.txt"), encoding: .utf8)
        let paragraphs = corpus.components(separatedBy: "\n\n")
        var text = ""
        var i = 60
        while text.utf8.count < 300 { text += (text.isEmpty ? "" : "\n\n") + paragraphs[i]; i += 1 }
        return text
    }

    func testEncodeEqualsIngestThenTheSAE() throws {
        let fixture = try ServeFixture.get()
        let api = try fixture.api()
        let text = try self.text(fixture)
        let body = String(decoding: try JSONEncoder().encode(["text": text]), as: UTF8.self)
        let answer = api.post("/encode", body.replacingOccurrences(of: "}", with: ", \"top\": 64}"))
        XCTAssertEqual(answer.status, 200, answer.text)
        let encoded = try answer.decoded(EncodeResult.self)
        XCTAssertEqual(encoded.column, ServeFixture.hook)
        XCTAssertEqual(encoded.contextSize, ServeFixture.contextSize)
        XCTAssertTrue(encoded.prependBOS)

        // The reference: the same text ingested as one document into a new store, its rows
        // read back and encoded by the SAE as every command runs it on that store.
        let store = temporaryPath(self, "encode-reference")
        try ServeFixture.ingest([text], modelDirectory: fixture.modelDirectory, store: store)
        let reader = try StoreReader(path: store)
        let n = reader.rowCount
        XCTAssertGreaterThan(n, 2 * ServeFixture.contextSize, "the text spans three windows")
        XCTAssertEqual(encoded.tokens.count, n)
        var rows: [Float] = []
        try reader.readRows(column: ServeFixture.hook, rows: 0..<n, into: &rows)
        let sae = try SAESource(path: fixture.saeDirectory).runnable(reader: reader, column: ServeFixture.hook).sae
        var encoder = SAEEncoder(sae: sae, maxRowCount: n)
        var latents: [Float] = []
        encoder.encode(rows, rowCount: n, into: &latents)
        let ids = try reader.readIntegers(column: TokenColumn.tokenID, rows: 0..<n)
        let positions = try reader.readIntegers(column: TokenColumn.position, rows: 0..<n)
        let starts = try reader.readIntegers(column: TokenColumn.byteStart, rows: 0..<n)
        let ends = try reader.readIntegers(column: TokenColumn.byteEnd, rows: 0..<n)
        let H = sae.dSAE
        var compared = 0
        for r in 0..<n {
            let token = encoded.tokens[r]
            XCTAssertEqual(UInt64(token.tokenID), ids[r], "row \(r) token id")
            XCTAssertEqual(UInt64(token.position), positions[r], "row \(r) position")
            XCTAssertEqual(UInt64(token.byteStart), starts[r], "row \(r) byte start")
            XCTAssertEqual(UInt64(token.byteEnd), ends[r], "row \(r) byte end")
            XCTAssertEqual(token.isBOS, positions[r] == 0)
            let firing = (0..<H).filter { latents[r * H + $0] > 0 }
                .sorted { latents[r * H + $0] != latents[r * H + $1] ? latents[r * H + $0] > latents[r * H + $1] : $0 < $1 }
            XCTAssertEqual(token.firingCount, firing.count, "row \(r) features firing")
            XCTAssertEqual(token.features.map(\.feature), Array(firing.prefix(64)), "row \(r) features")
            // Bit for bit: the same forward batches, the same f16 rounding, the same sgemm.
            XCTAssertEqual(token.features.map(\.activation), firing.prefix(64).map { latents[r * H + $0] }, "row \(r) activations")
            compared += token.features.count
        }
        XCTAssertGreaterThan(compared, n, "the SAE fires on the text")
        XCTAssertEqual(encoded.tokens.filter { !$0.isBOS }.map(\.text).joined(), text, "the tokens' texts spell the text")
    }

    func testTopCutsTheList() throws {
        let api = try ServeFixture.get().api()
        let encoded = try api.post("/encode", "{\"text\": \"O Romeo, Romeo!\", \"top\": 3}").decoded(EncodeResult.self)
        XCTAssertFalse(encoded.tokens.isEmpty)
        for token in encoded.tokens {
            XCTAssertLessThanOrEqual(token.features.count, 3)
            XCTAssertEqual(token.features.count, min(3, token.firingCount))
            XCTAssertEqual(token.features.map(\.activation), token.features.map(\.activation).sorted(by: >))
        }
        XCTAssertEqual(try api.post("/encode", "{\"text\": \"\"}").decoded(EncodeResult.self).tokens, [], "no text, no tokens")
    }

    func testBadBodiesNameTheField() throws {
        let api = try ServeFixture.get().api(limits: ServeLimits(maxBodyBytes: 200, maxTextTokens: 20))
        let cases: [(body: String, status: Int, parameter: String)] = [
            ("not json", 400, "body"),
            ("{\"txt\": \"x\"}", 400, "text"),
            ("{\"text\": 3}", 400, "text"),
            ("{\"text\": \"x\", \"top\": 0}", 400, "top"),
            ("{\"text\": \"x\", \"top\": 65}", 400, "top"),
            ("{\"text\": \"x\", \"top\": \"all\"}", 400, "top"),
            ("{\"text\": \"" + String(repeating: "to be or not ", count: 10) + "\"}", 400, "text"),
            ("{\"text\": \"" + String(repeating: "x", count: 300) + "\"}", 413, "body"),
        ]
        for c in cases {
            let answer = api.post("/encode", c.body)
            XCTAssertEqual(answer.status, c.status, "\(c.body.prefix(60)): \(answer.text)")
            XCTAssertEqual(answer.errorObject?["parameter"] as? String, c.parameter, "\(c.body.prefix(60)): \(answer.text)")
        }
        XCTAssertEqual(api.get("/encode").status, 405)
    }

    func testEncodeWithoutAModelSaysWhatToAdd() throws {
        let fixture = try ServeFixture.get()
        let api = ServeAPI(explorer: try ServeExplorer(.init(store: fixture.store)), access: try ServeAccess(host: "127.0.0.1", token: nil))
        let answer = api.post("/encode", "{\"text\": \"x\"}")
        XCTAssertEqual(answer.status, 404)
        XCTAssertTrue(answer.text.contains("--model"), answer.text)
        XCTAssertTrue(api.get("/features/0").text.contains("--features"))
    }
}
