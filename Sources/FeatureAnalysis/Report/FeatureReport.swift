import Foundation

/// The static HTML report: DIR/index.html (features by frequency, search by id, the dead
/// ones summarised), DIR/features/ID.html per live feature, DIR/assets/report.{js,css}.
/// Each page embeds only its own data as JSON and draws itself with the shared script, so
/// thousands of features stay thousands of small files, and everything opens from file://.
public enum FeatureReport {
    /// Writes the report for every live feature the inspector's results hold.
    /// `progress(featuresDone, featuresTotal)` follows the page writing.
    public static func write(inspector: FeatureInspector, to directory: URL,
                             progress: (Int, Int) -> Void = { _, _ in }) throws {
        let fm = FileManager.default
        let results = inspector.results, t = results.tables, manifest = results.manifest
        let featuresDirectory = directory.appendingPathComponent("features")
        try? fm.removeItem(at: featuresDirectory)
        try fm.createDirectory(at: featuresDirectory, withIntermediateDirectories: true)
        let assets = directory.appendingPathComponent("assets")
        try fm.createDirectory(at: assets, withIntermediateDirectories: true)
        try Data(ReportAssets.css.utf8).write(to: assets.appendingPathComponent("report.css"), options: .atomic)
        try Data(ReportAssets.js.utf8).write(to: assets.appendingPathComponent("report.js"), options: .atomic)

        let live = (0..<t.featureCount).filter { t.fireCounts[$0] > 0 }
        let liveIDs = live.map { t.featureIDs[$0] }
        let byFrequency = live.sorted { t.fireCounts[$0] > t.fireCounts[$1] || (t.fireCounts[$0] == t.fireCounts[$1] && $0 < $1) }
        let index = IndexPage(store: manifest.store.path, sae: manifest.sae.path, hook: manifest.config.column,
                              rows: t.rowsScanned, scanned: t.featureCount, created: manifest.createdAt,
                              features: byFrequency.map { f in
                                  [Double(t.featureIDs[f]), Double(t.fireCounts[f]), t.frequency(f), rounded(t.meanActivation(f)),
                                   rounded(Double(t.maxActivation(f)))]
                              },
                              dead: (0..<t.featureCount).filter { t.fireCounts[$0] == 0 }.map { t.featureIDs[$0] })
        try page(kind: "index", title: "saestore features", assetPrefix: "", data: index)
            .write(to: directory.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)

        let block = 64
        var done = 0
        for start in stride(from: 0, to: liveIDs.count, by: block) {
            let ids = Array(liveIDs[start..<min(start + block, liveIDs.count)])
            for detail in try inspector.details(features: ids) {
                let position = done
                let data = FeaturePage(detail, previous: position > 0 ? liveIDs[position - 1] : nil,
                                       next: position + 1 < liveIDs.count ? liveIDs[position + 1] : nil)
                try page(kind: "feature", title: "Feature \(detail.feature)", assetPrefix: "../", data: data)
                    .write(to: featuresDirectory.appendingPathComponent("\(detail.feature).html"), atomically: false, encoding: .utf8)
                done += 1
            }
            progress(done, liveIDs.count)
        }
    }

    /// A page shell: the shared assets, a placeholder, and the data as JSON in a script
    /// element (with `<` escaped so no text can close the element).
    static func page<T: Encodable>(kind: String, title: String, assetPrefix: String, data: T) throws -> String {
        let json = String(decoding: try JSONEncoder().encode(data), as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c")
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · saestore</title><link rel="stylesheet" href="\(assetPrefix)assets/report.css"></head>
            <body data-page="\(kind)"><main id="app">Loading… (this page needs JavaScript)</main>
            <script id="data" type="application/json">\(json)</script>
            <script src="\(assetPrefix)assets/report.js"></script></body></html>

            """
    }

    /// Four significant digits: the page shows three, and the files stay small.
    static func rounded(_ x: Double) -> Double { x == 0 || !x.isFinite ? x : Double(String(format: "%.4g", x))! }
    static func rounded(_ x: Float) -> Double { rounded(Double(x)) }

    struct IndexPage: Encodable {
        var store: String
        var sae: String
        var hook: String
        var rows: Int
        var scanned: Int
        var created: String
        /// [id, fires, frequency, mean, max] by frequency, descending.
        var features: [[Double]]
        var dead: [Int]
    }

    /// One example as a page embeds it. The JSON keys are one letter (a page carries hundreds of
    /// examples, and assets/report.js reads them by these keys); the Swift names say what they are.
    struct PageExample: Encodable {
        /// Store row of the example's token.
        var row: Int
        /// The feature's activation there, rounded for display.
        var activation: Double
        /// Store document number, when the store has documents.
        var document: Int?
        /// "source#index" of the document in its corpus, when known.
        var sourceRef: String?
        /// Index in `tokens` of the example's own token.
        var centerIndex: Int
        /// The context window's token texts (nil when the results hold no windows).
        var tokens: [String]?
        /// The feature's activation on each token of `tokens`, rounded.
        var tokenActivations: [Double]?
        /// Other contexts folded into this one (identical tokens from the window start); nil for none.
        var duplicates: Int?

        enum CodingKeys: String, CodingKey {
            case row = "r", activation = "a", document = "d", sourceRef = "s", centerIndex = "c"
            case tokens = "t", tokenActivations = "v", duplicates = "n"
        }

        init(_ e: FeatureExample) {
            row = e.row
            activation = FeatureReport.rounded(e.activation)
            document = e.document
            sourceRef = e.source.map { "\($0)#\(e.sourceIndex ?? 0)" }
            centerIndex = e.centerIndex
            tokens = e.tokens.isEmpty ? nil : e.tokens.map(\.text)
            tokenActivations = e.tokens.isEmpty ? nil : e.tokens.map { FeatureReport.rounded($0.activation) }
            duplicates = e.duplicates.flatMap { $0 > 0 ? $0 : nil }
        }
    }

    struct PageQuantile: Encodable {
        var lo: Double
        var hi: Double
        var n: Int
        var ex: [PageExample]
    }

    /// [text or null, value, token id]
    struct LogitRow: Encodable {
        var token: FeatureDetail.LogitToken
        func encode(to encoder: Encoder) throws {
            var c = encoder.unkeyedContainer()
            if let text = token.text { try c.encode(text) } else { try c.encodeNil() }
            try c.encode(FeatureReport.rounded(token.value))
            try c.encode(token.tokenID)
        }
    }

    struct FeaturePage: Encodable {
        var id: Int
        var rows: Int
        var fires: Int
        var freq: Double
        var mean: Double
        var max: Double
        /// [lower, upper, count] of the non-empty bins.
        var hist: [[Double]]
        var top: [PageExample]
        var quant: [PageQuantile]
        var pos: [LogitRow]?
        var neg: [LogitRow]?
        var prev: Int?
        var next: Int?
        /// Rows folded into the examples as identical contexts, and logit tokens left out.
        var folded: Int
        var left: Int
        /// Why they were left out (one sentence), or nil.
        var leftNote: String?

        init(_ d: FeatureDetail, previous: Int?, next: Int?) {
            id = d.feature
            rows = d.rowsScanned
            fires = d.fireCount
            freq = d.frequency
            mean = FeatureReport.rounded(d.meanActivation)
            max = FeatureReport.rounded(d.maxActivation)
            hist = d.histogram.map { [Double($0.lower), Double($0.upper), Double($0.count)] }
            top = d.topExamples.map(PageExample.init)
            quant = d.quantiles.map { PageQuantile(lo: FeatureReport.rounded($0.lower), hi: FeatureReport.rounded($0.upper), n: $0.count,
                                                   ex: $0.examples.map(PageExample.init)) }
            pos = d.promotedTokens?.map(LogitRow.init)
            neg = d.suppressedTokens?.map(LogitRow.init)
            prev = previous
            self.next = next
            folded = d.duplicatesFolded
            left = d.logitTokensLeftOut
            leftNote = d.logitTokensLeftOutNote
        }

        // nil prev/next must be written as null (the script tests `!== null`).
        enum CodingKeys: String, CodingKey { case id, rows, fires, freq, mean, max, hist, top, quant, pos, neg, prev, next, folded, left, leftNote }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(rows, forKey: .rows)
            try c.encode(fires, forKey: .fires)
            try c.encode(freq, forKey: .freq)
            try c.encode(mean, forKey: .mean)
            try c.encode(max, forKey: .max)
            try c.encode(hist, forKey: .hist)
            try c.encode(top, forKey: .top)
            try c.encode(quant, forKey: .quant)
            try c.encodeIfPresent(pos, forKey: .pos)
            try c.encodeIfPresent(neg, forKey: .neg)
            try c.encode(prev, forKey: .prev)
            try c.encode(next, forKey: .next)
            try c.encode(folded, forKey: .folded)
            try c.encode(left, forKey: .left)
            try c.encodeIfPresent(leftNote, forKey: .leftNote)
        }
    }
}
