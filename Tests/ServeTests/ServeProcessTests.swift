import ActStore
import FeatureAnalysis
import Foundation
import TestTools
import XCTest
@testable import Serve

/// The built `saestore serve` binary on 127.0.0.1 with a free port, fetched with curl: the
/// answers are the CLI's (`lookup --json`, `feature --json`), limits and the token hold over a
/// real socket, and a non-loopback host without a token is refused before anything binds.
final class ServeProcessTests: XCTestCase, ServeProcessTesting {
    func testServedAnswersAreTheCLIs() throws {
        let fixture = try ServeFixture.get()
        let server = try start(["--store", fixture.store, "--features", fixture.results, "--sae", fixture.saeDirectory,
                                "--model", fixture.modelDirectory, "--max-body-bytes", "4096"])
        XCTAssertTrue(server.url.hasPrefix("http://127.0.0.1:"), server.url)

        // /rows and /docs: what `saestore lookup --json` prints.
        let reader = try StoreReader(path: fixture.store)
        for (row, window) in [(5, 3), (reader.rowCount - 1, 12)] {
            let served = try curl([server.url + "/rows/\(row)?window=\(window)"])
            XCTAssertEqual(served.status, 200)
            let lookup = try run(try saestoreExecutable(), ["lookup", fixture.store, "--row", "\(row)", "--window", "\(window)", "--json"])
            XCTAssertEqual(lookup.status, 0, lookup.stderr)
            XCTAssertEqual(try JSONDecoder().decode(TokenContext.self, from: served.body),
                           try JSONDecoder().decode(TokenContext.self, from: lookup.stdout))
        }
        let doc = try curl([server.url + "/docs/2/tokens/4?window=3"])
        let lookup = try run(try saestoreExecutable(), ["lookup", fixture.store, "--doc", "2", "--pos", "4", "--window", "3", "--json"])
        XCTAssertEqual(try JSONDecoder().decode(TokenContext.self, from: doc.body), try JSONDecoder().decode(TokenContext.self, from: lookup.stdout))

        // /features/{id}: what `saestore feature --json` prints.
        let summaries = try JSONDecoder().decode(FeatureListPage.self, from: try curl([server.url + "/features?limit=1"]).body)
        let id = try XCTUnwrap(summaries.features.first?.feature)
        let feature = try curl([server.url + "/features/\(id)"])
        XCTAssertEqual(feature.status, 200)
        let shown = try run(try saestoreExecutable(), ["feature", fixture.results, "--id", "\(id)", "--json"])
        XCTAssertEqual(shown.status, 0, shown.stderr)
        XCTAssertEqual(try JSONDecoder().decode(FeatureDetail.self, from: feature.body), try JSONDecoder().decode(FeatureDetail.self, from: shown.stdout))

        // /encode over the socket, and the limits.
        let encoded = try curl(["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", "{\"text\": \"Good morrow, cousin.\"}",
                                server.url + "/encode"])
        XCTAssertEqual(encoded.status, 200, String(decoding: encoded.body, as: UTF8.self))
        let tokens = try JSONDecoder().decode(EncodeResult.self, from: encoded.body).tokens
        XCTAssertEqual(tokens.filter { !$0.isBOS }.map(\.text).joined(), "Good morrow, cousin.")
        let big = "{\"text\": \"" + String(repeating: "a", count: 5000) + "\"}"
        let tooLarge = try curl(["-X", "POST", "--data-binary", big, server.url + "/encode"])
        XCTAssertEqual(tooLarge.status, 413)
        XCTAssertTrue(String(decoding: tooLarge.body, as: UTF8.self).contains("\"parameter\":\"body\""))
        let badJSON = try curl(["-X", "POST", "--data-binary", "{", server.url + "/encode"])
        XCTAssertEqual(badJSON.status, 400)
        XCTAssertEqual(try curl([server.url + "/rows/\(reader.rowCount)"]).status, 404)
        let page = try curl([server.url + "/"])
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(String(decoding: page.body, as: UTF8.self).contains("<title>saestore"))
    }

    func testTheTokenIsCheckedOverTheSocket() throws {
        let fixture = try ServeFixture.get()
        let server = try start(["--store", fixture.store, "--token", "s3cret"])
        XCTAssertEqual(try curl([server.url + "/rows/1"]).status, 401)
        XCTAssertEqual(try curl(["-H", "Authorization: Bearer nope", server.url + "/rows/1"]).status, 401)
        XCTAssertEqual(try curl(["-H", "Authorization: Bearer s3cret", server.url + "/rows/1"]).status, 200)
        XCTAssertEqual(try curl([server.url + "/rows/1?access_token=s3cret"]).status, 200)
    }

    func testNonLoopbackWithoutATokenIsRefused() throws {
        let fixture = try ServeFixture.get()
        let result = try run(try saestoreExecutable(), ["serve", "--store", fixture.store, "--host", "0.0.0.0", "--port", "0"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("--token"), result.stderr)
    }
}
