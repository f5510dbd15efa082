import FeatureAnalysis
import Foundation

/// One line of the feature list: its statistics and the tokens it fires most on.
public struct FeatureSummary: Codable, Sendable, Equatable {
    /// SAE feature id.
    public var feature: Int
    /// Rows of the scan it fired on (activation > 0).
    public var fireCount: Int
    /// fireCount over the rows scanned.
    public var frequency: Double
    /// Mean activation over the rows it fired on.
    public var meanActivation: Double
    /// Largest activation seen in the scan.
    public var maxActivation: Float
    /// The distinct tokens of its top examples, best first (at most 5).
    public var topTokens: [String]
}

/// GET /features's answer: one page of the (filtered) list.
public struct FeatureListPage: Codable, Sendable, Equatable {
    /// Features matching the query in all.
    public var total: Int
    /// Index of the page's first feature among the matches.
    public var offset: Int
    /// Page size asked for.
    public var limit: Int
    /// The page, most frequent first.
    public var features: [FeatureSummary]
}

/// A `saestore features` results directory as the server reads it: details through the
/// inspector (behind a lock: it loads lazily and is not thread-safe), the list of live
/// features with their top tokens (built on first use from the stored example windows), and the
/// per-feature posting lists when the scan wrote them.
final class FeatureCatalog: @unchecked Sendable {
    let inspector: FeatureInspector
    let postings: FeaturePostingsFile?
    private let lock = NSLock()
    private var summaries: [FeatureSummary]?

    init(inspector: FeatureInspector) throws {
        self.inspector = inspector
        let path = inspector.resultsDirectory.appendingPathComponent(FeaturePostingsFile.fileName).path
        postings = FileManager.default.fileExists(atPath: path)
            ? try FeaturePostingsFile(path: path, featureIDs: inspector.results.tables.featureIDs) : nil
    }

    /// The local index of SAE feature `id`, or 404 naming the range.
    func index(of id: Int) throws -> Int {
        let tables = inspector.results.tables
        guard let f = tables.index(ofFeature: id) else {
            let ids = tables.featureIDs
            throw ServeError.notFound("id", "feature \(id) is not in the results (\(ids.count) features scanned, ids \(ids.first ?? 0)...\(ids.last ?? 0))")
        }
        return f
    }

    /// A feature's detail as the JSON bytes GET /features/{id} answers. The results never
    /// change while served, so the bytes are kept (up to `detailCacheBytes`, then the cache
    /// starts over): a popular feature is read and encoded once, where encoding the whole
    /// detail (examples with their windows, quantiles, histogram, logit effects) on every
    /// request was most of that endpoint's time. The plain path, `detail(feature:quantiles:)`
    /// through `ServeResponse.json`, gives the same bytes (`JSONFastPathTests`).
    func detailJSON(feature id: Int, quantiles: Bool) throws -> [UInt8] {
        if let cached = cachedDetailJSON(feature: id, quantiles: quantiles) { return cached }
        let bytes = try ServeResponse.json(try detail(feature: id, quantiles: quantiles)).body
        // One huge detail must not push out all the others.
        guard bytes.count <= Self.detailCacheBytes / 8 else { return bytes }
        jsonLock.withLock {
            if jsonBytes + bytes.count > Self.detailCacheBytes {
                json.removeAll(keepingCapacity: true)
                jsonBytes = 0
            }
            if json.updateValue(bytes, forKey: Self.key(id, quantiles)) == nil { jsonBytes += bytes.count }
        }
        return bytes
    }

    /// The kept bytes of a detail, without reading the results (nil: not kept yet); cheap
    /// enough for the event loop.
    func cachedDetailJSON(feature id: Int, quantiles: Bool) -> [UInt8]? {
        jsonLock.withLock { json[Self.key(id, quantiles)] }
    }

    /// A feature's detail, read through the inspector (behind the lock: it is not thread-safe).
    func detail(feature id: Int, quantiles: Bool) throws -> FeatureDetail {
        _ = try index(of: id)
        return try lock.withLock { try inspector.detail(feature: id, quantiles: quantiles) }
    }

    static func key(_ id: Int, _ quantiles: Bool) -> Int { 2 * id + (quantiles ? 1 : 0) }

    static let detailCacheBytes = 64 << 20
    /// Its own lock, so a lookup of kept bytes never waits behind a detail being read.
    private let jsonLock = NSLock()
    private var json: [Int: [UInt8]] = [:]
    private var jsonBytes = 0

    /// Live features, most frequent first, whose id is `query` or one of whose top tokens
    /// contains it (case-insensitive); all of them without a query.
    func list(query: String?, offset: Int, limit: Int) throws -> FeatureListPage {
        let all = try allSummaries()
        var matching = all
        if let query = query?.trimmingCharacters(in: .whitespaces), !query.isEmpty {
            let id = Int(query)
            let needle = query.lowercased()
            matching = all.filter { s in s.feature == id || s.topTokens.contains { $0.lowercased().contains(needle) } }
        }
        let page = Array(matching.dropFirst(offset).prefix(limit))
        return FeatureListPage(total: matching.count, offset: offset, limit: limit, features: page)
    }

    private func allSummaries() throws -> [FeatureSummary] {
        try lock.withLock {
            if let summaries { return summaries }
            let t = inspector.results.tables
            let live = (0..<t.featureCount).filter { t.fireCounts[$0] > 0 }
                .sorted { t.fireCounts[$0] != t.fireCounts[$1] ? t.fireCounts[$0] > t.fireCounts[$1] : $0 < $1 }
            var out: [FeatureSummary] = []
            out.reserveCapacity(live.count)
            // In blocks, so the stored windows are read a block of features at a time.
            for start in stride(from: 0, to: live.count, by: 256) {
                let block = live[start..<min(start + 256, live.count)]
                let details = try inspector.details(features: block.map { t.featureIDs[$0] }, quantiles: false)
                for (f, detail) in zip(block, details) {
                    var tokens: [String] = []
                    for example in detail.topExamples {
                        guard let text = example.token?.text, !tokens.contains(text) else { continue }
                        tokens.append(text)
                        if tokens.count == 5 { break }
                    }
                    out.append(FeatureSummary(feature: t.featureIDs[f], fireCount: t.fireCounts[f], frequency: t.frequency(f),
                                              meanActivation: t.meanActivation(f), maxActivation: t.maxActivation(f), topTokens: tokens))
                }
            }
            summaries = out
            return out
        }
    }
}
