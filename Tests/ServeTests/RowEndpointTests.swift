import ActStore
import Foundation
import XCTest
@testable import Serve

/// GET /rows/{row} and /docs/{doc}/tokens/{pos}, called as plain functions: the same token
/// contexts `saestore lookup` prints (StoreReader.context), and every bad input answered with
/// its status and the parameter named.
final class RowEndpointTests: XCTestCase {
    func testRowsAnswerWhatLookupPrints() throws {
        let fixture = try ServeFixture.get()
        let api = try fixture.api()
        let reader = try StoreReader(path: fixture.store)
        for (row, window) in [(0, 12), (1, 0), (reader.rowCount / 2, 5), (reader.rowCount - 1, 64)] {
            let answer = api.get("/rows/\(row)?window=\(window)")
            XCTAssertEqual(answer.status, 200, answer.text)
            XCTAssertEqual(answer.contentType, "application/json; charset=utf-8")
            let expected = try XCTUnwrap(reader.context(row: row, window: window))
            XCTAssertEqual(try answer.decoded(TokenContext.self), expected, "row \(row) window \(window)")
        }
        // The default window is lookup's (12).
        XCTAssertEqual(try api.get("/rows/7").decoded(TokenContext.self), try reader.context(row: 7, window: 12))
    }

    func testDocumentTokenIsItsRow() throws {
        let fixture = try ServeFixture.get()
        let api = try fixture.api()
        let reader = try StoreReader(path: fixture.store)
        let doc = 3
        let record = try reader.document(doc)
        for pos in [0, 1, record.tokenCount - 1] {
            let answer = api.get("/docs/\(doc)/tokens/\(pos)?window=4")
            XCTAssertEqual(answer.status, 200, answer.text)
            let context = try answer.decoded(TokenContext.self)
            XCTAssertEqual(context, try api.get("/rows/\(record.firstRow + pos)?window=4").decoded(TokenContext.self))
            XCTAssertEqual(context.document, doc)
            XCTAssertEqual(context.tokenIndex, pos)
        }
    }

    func testBadRequestsNameTheParameter() throws {
        let fixture = try ServeFixture.get()
        let api = try fixture.api()
        let reader = try StoreReader(path: fixture.store)
        let cases: [(target: String, status: Int, parameter: String?, says: String)] = [
            ("/rows/abc", 400, "row", "expected an integer"),
            ("/rows/-1", 400, "row", "must be in 0..."),
            ("/rows/\(reader.rowCount)", 404, "row", "the store has \(reader.rowCount) rows"),
            ("/rows/3?window=65", 400, "window", "0...64"),
            ("/rows/3?window=two", 400, "window", "expected an integer"),
            ("/docs/\(reader.documentCount)/tokens/0", 404, "doc", "\(reader.documentCount) documents"),
            ("/docs/0/tokens/100000", 404, "pos", "out of range"),
            ("/docs/x/tokens/0", 400, "doc", "expected an integer"),
            ("/nothing/here", 404, "path", "no endpoint"),
            ("/rows", 404, "path", "no endpoint"),
        ]
        for c in cases {
            let answer = api.get(c.target)
            XCTAssertEqual(answer.status, c.status, "\(c.target): \(answer.text)")
            let error = try XCTUnwrap(answer.errorObject, "\(c.target): \(answer.text)")
            XCTAssertEqual(error["status"] as? Int, c.status, c.target)
            XCTAssertEqual(error["parameter"] as? String, c.parameter, c.target)
            XCTAssertTrue((error["message"] as? String ?? "").contains(c.says), "\(c.target): \(error)")
        }
        let wrongMethod = api.post("/rows/3", "")
        XCTAssertEqual(wrongMethod.status, 405, wrongMethod.text)
        XCTAssertEqual(wrongMethod.errorObject?["parameter"] as? String, "method")
    }

    func testPagesAreBounded() throws {
        let fixture = try ServeFixture.get()
        let api = try fixture.api(limits: ServeLimits(maxPageSize: 10))
        let over = api.get("/search?token=13&limit=11")
        XCTAssertEqual(over.status, 400, over.text)
        XCTAssertEqual(over.errorObject?["parameter"] as? String, "limit")
        let zero = api.get("/features?limit=0")
        XCTAssertEqual(zero.status, 400, zero.text)
        XCTAssertEqual(zero.errorObject?["parameter"] as? String, "limit")
        XCTAssertEqual(api.get("/search?token=13&limit=10").status, 200)
    }

    func testRequestParsing() {
        let request = ServeRequest(method: "GET", target: "/search%2Fx/a%20b/?text=to+be%2C%20or&empty=&n=1&n=2")
        XCTAssertEqual(request.segments, ["search/x", "a b"])
        XCTAssertEqual(request.query, ["text": "to be, or", "empty": "", "n": "2"])
        XCTAssertEqual(ServeRequest(method: "GET", target: "/").segments, [])
        XCTAssertEqual(ServeRequest.percentDecoded("%zz%4", plusIsSpace: false), "%zz%4", "malformed escapes kept")
        XCTAssertEqual(ServeRequest.percentDecoded("%E2%9F%A6", plusIsSpace: false), "⟦")
    }
}
