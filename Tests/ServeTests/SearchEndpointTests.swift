import ActStore
import Extract
import Foundation
import XCTest
@testable import Serve

/// GET /search: rows whose token, or token sequence, matches, from the in-memory token index.
final class SearchEndpointTests: XCTestCase {
    func testIndexMatchesTheReference() throws {
        let fixture = try ServeFixture.get()
        let reader = try StoreReader(path: fixture.store)
        let index = try TokenIndex(reader: reader)
        XCTAssertEqual(index.tokenIDs.count, reader.rowCount)
        let tokenizer = try GPT2Tokenizer(vocabPath: fixture.modelDirectory + "/vocab.json", mergesPath: fixture.modelDirectory + "/merges.txt")
        // A document's last tokens then the next document's first: must not match across.
        let last = try reader.document(0), next = try reader.document(1)
        let ids = try reader.readIntegers(column: TokenColumn.tokenID, rows: 0..<reader.rowCount).map { UInt32($0) }
        let across = [ids[last.firstRow + last.tokenCount - 1], ids[next.firstRow]]
        for sequence in [tokenizer.encode(" the", allowSpecial: false), tokenizer.encode(",", allowSpecial: false),
                         tokenizer.encode(" my lord", allowSpecial: false), tokenizer.encode(" I am", allowSpecial: false),
                         across, [ids[5], ids[6], ids[7]], [UInt32(50_000)], [UInt32(60_000)]] {
            XCTAssertEqual(index.rows(matching: sequence), index.referenceRows(matching: sequence), "\(sequence)")
        }
        XCTAssertFalse(index.rows(matching: tokenizer.encode(" the", allowSpecial: false)).isEmpty)
        XCTAssertTrue(index.rows(matching: [ids[5], ids[6], ids[7]]).contains(5))
        for (row, id) in ids.enumerated().prefix(500) { XCTAssertTrue(index.rows(matching: [id]).contains(row)) }
    }

    func testSearchPagesThroughTheMatchesInContext() throws {
        let fixture = try ServeFixture.get()
        let api = try fixture.api()
        let reader = try StoreReader(path: fixture.store)
        let index = try TokenIndex(reader: reader)
        let tokenizer = try GPT2Tokenizer(vocabPath: fixture.modelDirectory + "/vocab.json", mergesPath: fixture.modelDirectory + "/merges.txt")
        let the = tokenizer.encode(" the", allowSpecial: false)[0]
        let expected = index.rows(matching: [the])
        XCTAssertGreaterThan(expected.count, 25)
        var rows: [Int] = []
        for offset in stride(from: 0, to: expected.count, by: 20) {
            let page = try api.get("/search?token=\(the)&offset=\(offset)&window=3").decoded(SearchPage.self)
            XCTAssertEqual(page.total, expected.count)
            XCTAssertEqual(page.tokenIDs, [the])
            rows += page.results.map(\.row)
            for context in page.results {
                XCTAssertEqual(context, try reader.context(row: context.row, window: 3))
                XCTAssertEqual(context.token, " the")
            }
        }
        XCTAssertEqual(rows, expected)
        // A token by its text, and a sequence by ?text=.
        XCTAssertEqual(try api.get("/search?token=%20the").decoded(SearchPage.self).total, expected.count)
        let lord = tokenizer.encode(" my lord", allowSpecial: false)
        let sequence = try api.get("/search?text=+my+lord&limit=200").decoded(SearchPage.self)
        XCTAssertEqual(sequence.tokenIDs, lord)
        XCTAssertEqual(sequence.results.map(\.row), Array(index.rows(matching: lord).prefix(200)))
        for context in sequence.results { XCTAssertTrue(context.after.hasPrefix(" lord"), context.after) }

        for (target, parameter) in [("/search", "token"), ("/search?token=%20my%20lord", "token"), ("/search?text=", "text"),
                                    ("/search?token=13&offset=-1", "offset"), ("/search?token=13&window=100", "window")] {
            let answer = api.get(target)
            XCTAssertEqual(answer.status, 400, "\(target): \(answer.text)")
            XCTAssertEqual(answer.errorObject?["parameter"] as? String, parameter, "\(target): \(answer.text)")
        }
    }
}
