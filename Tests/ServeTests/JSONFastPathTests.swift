@testable import ActStore
import FeatureAnalysis
import Foundation
import XCTest
@testable import Serve

/// The fast paths of GET /rows and GET /features/{id} against their plain references, byte
/// for byte: the hand-written JSON against JSONEncoder, kept documents against
/// `StoreReading.context`, kept feature bytes against encoding the inspector's detail, and
/// answers from memory (what the event loop serves) against `respond`.
final class JSONFastPathTests: XCTestCase {
    func testRowContextsAndTheirJSONAreTheReferences() throws {
        let fixture = try ServeFixture.get()
        let reader = try StoreReader(path: fixture.store)
        let documents = DocumentContextCache(reader: reader)
        for row in 0..<reader.rowCount {
            let document = try XCTUnwrap(documents.load(containing: row), "row \(row)")
            XCTAssertTrue(document.rows.contains(row))
            for window in [0, 1, 5, 12, 64] {
                let expected = try XCTUnwrap(reader.context(row: row, window: window))
                let reference = try expected.jsonReference()
                XCTAssertEqual(try document.contextJSON(row: row, window: window, store: reader.path), reference, "row \(row) window \(window)")
                XCTAssertEqual(expected.json(), reference, "row \(row) window \(window)")
            }
        }
    }

    func testStringEscapesAndIntegersAreTheEncoders() throws {
        let everyASCII = String(decoding: (0..<128).map { UInt8($0) }, as: UTF8.self)
        let texts = [everyASCII, "", "\"quoted\" \\ back/slash", "naïve café — ⟦x⟧ 🎭 \u{2028}\u{2029} \u{FEFF}",
                     String(decoding: [0xE2, 0x9F], as: UTF8.self), "\u{7F}\u{80}\u{FFFD}", "tab\there\r\nnull\u{0}"]
        let integers = [0, 1, 9, 10, 99, 100, 12_345, Int.max, -1, -10, Int.min]
        for (i, text) in texts.enumerated() {
            let n = integers[i % integers.count], m = integers[(i + 3) % integers.count]
            let location = RowLocation(row: n, document: m, tokenIndex: m, position: n, tokenID: i == 0 ? .max : UInt32(i),
                                       byteStart: n, byteEnd: m, source: text, sourceIndex: n)
            let context = TokenContext(location: location, before: text, token: String(text.reversed()), after: text + "/")
            XCTAssertEqual(String(decoding: context.json(), as: UTF8.self), String(decoding: try context.jsonReference(), as: UTF8.self),
                           "text \(i)")
            XCTAssertEqual(context.json(), try context.jsonReference(), "text \(i)")
        }
    }

    func testAnswersFromMemoryAreRespondsBytes() throws {
        let fixture = try ServeFixture.get()
        let api = try fixture.api()
        let reader = try StoreReader(path: fixture.store)
        for (row, window) in [(0, 12), (reader.rowCount / 3, 0), (reader.rowCount - 1, 64)] {
            let target = "/rows/\(row)?window=\(window)"
            let request = ServeRequest(method: "GET", target: target)
            XCTAssertNil(api.respondFromMemory(to: request), "\(target): its document is not loaded yet")
            let answer = api.respond(to: request)
            XCTAssertEqual(answer.status, 200, answer.text)
            // What the server answered before it had a fast path: JSONEncoder over the reference.
            XCTAssertEqual(answer, try ServeResponse.json(XCTUnwrap(reader.context(row: row, window: window))), target)
            XCTAssertEqual(api.respondFromMemory(to: request), answer, target)
        }
        // Errors found before any read answer from memory, the same as `respond`.
        for target in ["/rows/abc", "/rows/\(reader.rowCount)", "/rows/3?window=65", "/nothing", "/features/x", "/info"] {
            let request = ServeRequest(method: "GET", target: target)
            XCTAssertEqual(api.respondFromMemory(to: request), api.respond(to: request), target)
        }
        // Reads the store: never from memory.
        XCTAssertNil(api.respondFromMemory(to: ServeRequest(method: "GET", target: "/docs/0/tokens/0")))
        XCTAssertNil(api.respondFromMemory(to: ServeRequest(method: "POST", target: "/encode", body: Array(#"{"text": "a"}"#.utf8))))

        let inspector = try FeatureInspector(resultsDirectory: URL(fileURLWithPath: fixture.results), window: 8)
        let t = inspector.results.tables
        let id = t.featureIDs[try XCTUnwrap((0..<t.featureCount).first { t.fireCounts[$0] > 0 })]
        for quantiles in [true, false] {
            let request = ServeRequest(method: "GET", target: "/features/\(id)?quantiles=\(quantiles)")
            XCTAssertNil(api.respondFromMemory(to: request))
            let answer = api.respond(to: request)
            XCTAssertEqual(answer, try ServeResponse.json(inspector.detail(feature: id, quantiles: quantiles)))
            XCTAssertEqual(api.respondFromMemory(to: request), answer)
            XCTAssertEqual(api.respond(to: request), answer, "kept bytes")
        }
    }

    func testASmallDocumentBudgetStillAnswersTheReference() throws {
        let fixture = try ServeFixture.get()
        let reader = try StoreReader(path: fixture.store)
        // Room for a few documents at most: loads start the cache over, long ones are not kept.
        let documents = DocumentContextCache(reader: reader, budgetBytes: 16_384)
        var kept = 0
        for row in stride(from: 0, to: reader.rowCount, by: 7) {
            guard let document = try documents.load(containing: row) else { continue }
            kept += 1
            XCTAssertEqual(try document.contextJSON(row: row, window: 12, store: reader.path),
                           try XCTUnwrap(reader.context(row: row, window: 12)).jsonReference())
            if let again = documents.cached(containing: row) { XCTAssertEqual(again.rows, document.rows) }
        }
        XCTAssertGreaterThan(kept, 0)
    }
}
