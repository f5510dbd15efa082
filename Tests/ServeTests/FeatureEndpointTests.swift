import ActStore
import FeatureAnalysis
import Foundation
import SAELoading
import StreamTrain
import XCTest
@testable import Serve

/// GET /features, /features/{id} and /features/{id}/rows, and the posting lists the scan
/// writes for the last.
final class FeatureEndpointTests: XCTestCase {
    func testFeatureIsWhatTheInspectorShows() throws {
        let fixture = try ServeFixture.get()
        let api = try fixture.api()
        let inspector = try FeatureInspector(resultsDirectory: URL(fileURLWithPath: fixture.results), window: 8)
        let t = inspector.results.tables
        let live = (0..<t.featureCount).filter { t.fireCounts[$0] > 0 }
        XCTAssertFalse(live.isEmpty)
        for f in [live.first!, live.last!, live[live.count / 2]] {
            let id = t.featureIDs[f]
            let answer = api.get("/features/\(id)")
            XCTAssertEqual(answer.status, 200, answer.text)
            XCTAssertEqual(try answer.decoded(FeatureDetail.self), try inspector.detail(feature: id), "feature \(id)")
            XCTAssertEqual(try api.get("/features/\(id)?quantiles=false").decoded(FeatureDetail.self),
                           try inspector.detail(feature: id, quantiles: false))
        }
        let missing = api.get("/features/\(t.featureCount + 5)")
        XCTAssertEqual(missing.status, 404, missing.text)
        XCTAssertEqual(missing.errorObject?["parameter"] as? String, "id")
        XCTAssertEqual(api.get("/features/x").errorObject?["parameter"] as? String, "id")
        XCTAssertEqual(api.get("/features/1?quantiles=maybe").errorObject?["parameter"] as? String, "quantiles")
    }

    func testFeatureListIsLiveFeaturesMostFrequentFirst() throws {
        let fixture = try ServeFixture.get()
        let api = try fixture.api()
        let t = try FeatureResults.load(directory: URL(fileURLWithPath: fixture.results)).tables
        let live = (0..<t.featureCount).filter { t.fireCounts[$0] > 0 }
        let first = try api.get("/features?limit=7").decoded(FeatureListPage.self)
        XCTAssertEqual(first.total, live.count)
        XCTAssertEqual(first.features.count, min(7, live.count))
        var all: [FeatureSummary] = []
        var offset = 0
        while offset < first.total {
            let page = try api.get("/features?offset=\(offset)&limit=50").decoded(FeatureListPage.self)
            all += page.features
            offset += 50
        }
        XCTAssertEqual(all.map(\.feature).sorted(), live.map { t.featureIDs[$0] })
        XCTAssertEqual(all.map(\.fireCount), all.map(\.fireCount).sorted(by: >))
        XCTAssertEqual(Array(all.prefix(7)), first.features)
        let some = try XCTUnwrap(all.first { !$0.topTokens.isEmpty })
        let byID = try api.get("/features?q=\(some.feature)").decoded(FeatureListPage.self)
        XCTAssertTrue(byID.features.contains(some))
        let token = some.topTokens[0].trimmingCharacters(in: .whitespaces)
        if !token.isEmpty, let q = token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) {
            let byToken = try api.get("/features?q=\(q)&limit=200").decoded(FeatureListPage.self)
            XCTAssertTrue(byToken.features.contains(some), "searching \(token)")
            XCTAssertTrue(byToken.features.allSatisfy { s in s.feature == Int(token) || s.topTokens.contains { $0.lowercased().contains(token.lowercased()) } })
        }
    }

    /// results.postings holds every firing of the scan: each feature's count is its fire
    /// count, its list is strongest first, the top examples are in it with their activations,
    /// and an independent encode of every row finds the same (row, activation) pairs.
    func testPostingsHoldEveryFiringStrongestFirst() throws {
        let fixture = try ServeFixture.get()
        let results = try FeatureResults.load(directory: URL(fileURLWithPath: fixture.results))
        let t = results.tables
        let postings = try FeaturePostingsFile(path: fixture.results + "/" + FeaturePostingsFile.fileName, featureIDs: t.featureIDs)
        XCTAssertEqual(postings.postingCount, t.fireCounts.reduce(0, +))

        let reader = try StoreReader(path: fixture.store)
        var rows: [Float] = []
        try reader.readRows(column: ServeFixture.hook, rows: 0..<reader.rowCount, into: &rows)
        let sae = try SAESource(path: fixture.saeDirectory).runnable(reader: reader, column: ServeFixture.hook).sae
        var encoder = SAEEncoder(sae: sae, maxRowCount: reader.rowCount)
        var latents: [Float] = []
        encoder.encode(rows, rowCount: reader.rowCount, into: &latents)
        let ids = try reader.readIntegers(column: TokenColumn.tokenID, rows: 0..<reader.rowCount)
        let H = sae.dSAE
        for f in 0..<t.featureCount {
            let list = postings.postings(f)
            XCTAssertEqual(list.count, t.fireCounts[f], "feature \(f)")
            XCTAssertTrue(zip(list, list.dropFirst()).allSatisfy { $0.activation > $1.activation || ($0.activation == $1.activation && $0.row < $1.row) })
            for (row, activation) in t.topExamples(f) {
                XCTAssertTrue(list.contains(FeaturePosting(row: row, activation: activation, tokenID: UInt32(ids[row]))), "top example \(row) of \(f)")
            }
            // The reference: one encode of all rows (another batch shape, so within 1e-5, and
            // ignoring activations too small for the batch shape to decide whether they fire).
            let id = t.featureIDs[f]
            let reference = Dictionary(uniqueKeysWithValues: (0..<reader.rowCount).compactMap { r in
                latents[r * H + id] > 0 ? (r, latents[r * H + id]) : nil })
            for p in list {
                XCTAssertEqual(p.tokenID, UInt32(ids[p.row]))
                if let a = reference[p.row] { XCTAssertEqual(p.activation, a, accuracy: 1e-5) } else { XCTAssertLessThan(p.activation, 1e-4) }
            }
            let listed = Set(list.map(\.row))
            for (row, activation) in reference where activation >= 1e-4 {
                XCTAssertTrue(listed.contains(row), "feature \(id) fires \(activation) on row \(row), which its postings lack")
            }
        }
    }

    func testFeatureRowsAreTheListsPrefix() throws {
        let fixture = try ServeFixture.get()
        let api = try fixture.api()
        let results = try FeatureResults.load(directory: URL(fileURLWithPath: fixture.results))
        let t = results.tables
        let postings = try FeaturePostingsFile(path: fixture.results + "/" + FeaturePostingsFile.fileName, featureIDs: t.featureIDs)
        let f = try XCTUnwrap((0..<t.featureCount).max { t.fireCounts[$0] < t.fireCounts[$1] })
        let id = t.featureIDs[f]
        let list = postings.postings(f)
        let minimum = list[list.count / 3].activation
        let expected = list.filter { $0.activation >= minimum }
        var got: [FeatureRowsPage.Hit] = []
        var offset = 0
        while true {
            let page = try api.get("/features/\(id)/rows?min=\(minimum)&offset=\(offset)&limit=17&window=2").decoded(FeatureRowsPage.self)
            XCTAssertEqual(page.total, expected.count)
            got += page.rows
            if page.rows.count < 17 { break }
            offset += 17
        }
        XCTAssertEqual(got.map(\.row), expected.map(\.row))
        XCTAssertEqual(got.map(\.activation), expected.map(\.activation))
        let reader = try StoreReader(path: fixture.store)
        XCTAssertEqual(got.first?.context, try reader.context(row: expected[0].row, window: 2))

        // Filtered by token: the matching postings of the prefix, in the same order.
        let token = expected[0].tokenID
        let filtered = try api.get("/features/\(id)/rows?min=\(minimum)&token=\(token)&limit=200").decoded(FeatureRowsPage.self)
        XCTAssertEqual(filtered.rows.map(\.row), Array(expected.filter { $0.tokenID == token }.map(\.row).prefix(200)))
        XCTAssertEqual(filtered.total, expected.filter { $0.tokenID == token }.count)
        XCTAssertEqual(postings.countAtLeast(f, minimum: .greatestFiniteMagnitude), 0)
        XCTAssertEqual(postings.countAtLeast(f, minimum: 0), list.count)
        XCTAssertEqual(api.get("/features/\(id)/rows?min=abc").errorObject?["parameter"] as? String, "min")
        XCTAssertEqual(api.get("/features/\(id)/rows?token=x%20y%20z").errorObject?["parameter"] as? String, "token")
    }

    func testPostingsFileDamageIsRefused() throws {
        let fixture = try ServeFixture.get()
        let t = try FeatureResults.load(directory: URL(fileURLWithPath: fixture.results)).tables
        let original = try Data(contentsOf: URL(fileURLWithPath: fixture.results + "/" + FeaturePostingsFile.fileName))
        let path = temporaryPath(self, "postings")
        for (name, damaged) in [("magic", Data([0x58]) + original.dropFirst()), ("truncated", original.dropLast(16)),
                                ("version", original.prefix(8) + Data([9, 0, 0, 0]) + original.dropFirst(12))] {
            try damaged.write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try FeaturePostingsFile(path: path, featureIDs: t.featureIDs), name) { error in
                XCTAssertTrue("\(error)".contains(path), "\(name): \(error)")
            }
        }
        try original.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try FeaturePostingsFile(path: path, featureIDs: Array(t.featureIDs.dropLast())))
    }
}
