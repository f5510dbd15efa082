import ActStore
import FeatureAnalysis
import Foundation

/// The HTTP API as plain functions: a `ServeRequest` in, a `ServeResponse` out, no sockets.
/// `ServeServer` puts it behind Hummingbird; the tests call it directly. Every failure is an
/// answer: `ServeError`s as themselves, anything else as a 500 carrying its description.
/// Handlers block (store reads, the model's forward): callers run `respond` off the event
/// loop (`ServeServer` uses a dispatch queue), and may first try `respondFromMemory`, which
/// never blocks, on the loop.
public struct ServeAPI: Sendable {
    /// What the answers are read from.
    public let explorer: ServeExplorer
    /// Who may ask.
    public let access: ServeAccess

    /// An API over `explorer`, guarded by `access`.
    public init(explorer: ServeExplorer, access: ServeAccess) {
        self.explorer = explorer
        self.access = access
    }

    /// Answers one request.
    public func respond(to request: ServeRequest) -> ServeResponse {
        // Without memoryOnly every route answers.
        answer(request, memoryOnly: false)!
    }

    /// Answers `request` if that needs nothing but memory — no store or results read, no model,
    /// no BLAS — so it may run on the event loop; nil when it needs `respond` off the loop.
    /// Memory-only: the page, /openapi.yaml, /info, every error found before a read (a bad
    /// parameter, a missing token, a wrong path), GET /rows of a row whose document
    /// `DocumentContextCache` holds, and GET /features/{id} whose bytes are kept. Its answers are
    /// `respond`'s, byte for byte.
    public func respondFromMemory(to request: ServeRequest) -> ServeResponse? {
        answer(request, memoryOnly: true)
    }

    func answer(_ request: ServeRequest, memoryOnly: Bool) -> ServeResponse? {
        do {
            try access.check(request)
            return try route(request, memoryOnly: memoryOnly)
        } catch let error as ServeError {
            return .error(error)
        } catch {
            return .error(ServeError(status: 500, message: String(describing: error)))
        }
    }

    /// The endpoints: (method, path pattern); "{x}" matches one segment.
    static let routes: [(method: String, pattern: [String])] = [
        ("GET", []), ("GET", ["info"]), ("GET", ["openapi.yaml"]),
        ("GET", ["rows", "{row}"]), ("GET", ["docs", "{doc}", "tokens", "{pos}"]),
        ("GET", ["features"]), ("GET", ["features", "{id}"]), ("GET", ["features", "{id}", "rows"]),
        ("POST", ["encode"]), ("GET", ["search"]),
    ]

    /// The answer of the endpoint `request` names; nil when `memoryOnly` and it needs a read.
    func route(_ request: ServeRequest, memoryOnly: Bool = false) throws -> ServeResponse? {
        let s = request.segments
        guard let route = Self.routes.first(where: { Self.matches($0.pattern, s) && $0.method == request.method })
                ?? Self.routes.first(where: { Self.matches($0.pattern, s) }) else {
            throw ServeError(status: 404, message: "no endpoint at /\(s.joined(separator: "/")) (docs/SERVE.md lists them)", parameter: "path")
        }
        guard route.method == request.method else {
            throw ServeError(status: 405, message: "/\(s.joined(separator: "/")) takes \(route.method), not \(request.method)", parameter: "method")
        }
        switch route.pattern.first ?? "" {
        case "": return ServeResponse(contentType: "text/html; charset=utf-8", body: Array(ServePage.html.utf8))
        case "info": return try .json(explorer.info)
        case "openapi.yaml": return ServeResponse(contentType: "application/yaml; charset=utf-8", body: Array(ServeOpenAPI.yaml.utf8))
        case "rows": return try row(request, s[1], memoryOnly: memoryOnly).map { ServeResponse.json(bytes: $0) }
        case "features" where s.count == 2 && memoryOnly: return try cachedFeature(request, s[1]).map { ServeResponse.json(bytes: $0) }
        case _ where memoryOnly: return nil
        case "docs": return try .json(documentToken(request, doc: s[1], pos: s[3]))
        case "features" where s.count == 1: return try .json(featureList(request))
        case "features" where s.count == 2: return try .json(bytes: feature(request, s[1]))
        case "features": return try .json(featureRows(request, s[1]))
        case "encode": return try .json(encode(request))
        default: return try .json(search(request))
        }
    }

    static func matches(_ pattern: [String], _ segments: [String]) -> Bool {
        pattern.count == segments.count && zip(pattern, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
    }

    // MARK: rows

    /// GET /rows/{row}?window=K: the token at `row` in K tokens of context (as `saestore lookup`),
    /// as JSON bytes. From the row's document in `DocumentContextCache` when it is there; otherwise nil when
    /// `memoryOnly`, else the document is loaded (or, when too long to keep, the reference
    /// `StoreReading.context` answers).
    func row(_ request: ServeRequest, _ text: String, memoryOnly: Bool = false) throws -> [UInt8]? {
        let reader = explorer.reader
        let rowCount = reader.rowCount
        guard rowCount > 0 else { throw ServeError.notFound("row", "the store has no rows") }
        let row = try ServeRequest.integer(text, name: "row", in: 0...Int.max)
        guard row < rowCount else {
            throw ServeError.notFound("row", "row \(row) does not exist: the store has \(rowCount) rows (0...\(rowCount - 1))")
        }
        let window = try window(request)
        if let document = explorer.documents.cached(containing: row) {
            return try document.contextJSON(row: row, window: window, store: reader.path)
        }
        if memoryOnly { return nil }
        if let document = try explorer.documents.load(containing: row) {
            return try document.contextJSON(row: row, window: window, store: reader.path)
        }
        return try context(row: row, window: window).json()
    }

    /// GET /docs/{doc}/tokens/{pos}?window=K: token `pos` of document `doc` in its context.
    func documentToken(_ request: ServeRequest, doc docText: String, pos posText: String) throws -> TokenContext {
        let reader = explorer.reader
        let doc = try ServeRequest.integer(docText, name: "doc", in: 0...Int.max)
        guard doc < reader.documentCount else {
            throw ServeError.notFound("doc", "document \(doc) does not exist: the store has \(reader.documentCount) documents")
        }
        let pos = try ServeRequest.integer(posText, name: "pos", in: 0...Int.max)
        let tokenCount = try reader.document(doc).tokenCount
        guard pos < tokenCount else {
            throw ServeError.notFound("pos", "document \(doc) has \(tokenCount) tokens (0...\(tokenCount - 1)); token \(pos) is out of range")
        }
        return try context(row: reader.row(document: doc, tokenIndex: pos), window: window(request))
    }

    func window(_ request: ServeRequest) throws -> Int {
        try request.integer("window", in: 0...explorer.limits.maxWindow, default: 12)
    }

    func context(row: Int, window: Int) throws -> TokenContext {
        guard let context = try explorer.reader.context(row: row, window: window) else {
            throw ServeError.notFound("row", "row \(row) has no text: it was imported without documents")
        }
        return context
    }

    // MARK: features

    func catalog(_ endpoint: String) throws -> FeatureCatalog {
        guard let features = explorer.features else { throw ServeError.notServed(endpoint, needs: "--features DIR (written by `saestore features`)") }
        return features
    }

    /// GET /features/{id}?quantiles=true: what `saestore feature DIR --id F --json` prints, as
    /// JSON bytes (kept per feature by the catalog).
    func feature(_ request: ServeRequest, _ text: String) throws -> [UInt8] {
        let features = try catalog("/features/{id}")
        let id = try ServeRequest.integer(text, name: "id", in: 0...Int.max)
        return try features.detailJSON(feature: id, quantiles: request.flag("quantiles", default: true))
    }

    /// GET /features/{id}'s bytes when the catalog keeps them (nil: they need reading).
    func cachedFeature(_ request: ServeRequest, _ text: String) throws -> [UInt8]? {
        let features = try catalog("/features/{id}")
        let id = try ServeRequest.integer(text, name: "id", in: 0...Int.max)
        return features.cachedDetailJSON(feature: id, quantiles: try request.flag("quantiles", default: true))
    }

    /// GET /features?q=&offset=&limit=: live features, most frequent first.
    func featureList(_ request: ServeRequest) throws -> FeatureListPage {
        let features = try catalog("/features")
        let (offset, limit) = try page(request)
        return try features.list(query: request.query["q"], offset: offset, limit: limit)
    }

    /// GET /features/{id}/rows?min=a&token=&offset=&limit=: rows where the feature fires at
    /// least `min`, strongest first, from the scan's posting list.
    func featureRows(_ request: ServeRequest, _ text: String) throws -> FeatureRowsPage {
        let features = try catalog("/features/{id}/rows")
        let id = try ServeRequest.integer(text, name: "id", in: 0...Int.max)
        let f = try features.index(of: id)
        guard let postings = features.postings else {
            throw ServeError.notServed("/features/{id}/rows", needs: "results whose scan wrote \(FeaturePostingsFile.fileName) (rerun `saestore features`)")
        }
        let minimum = try request.number("min") ?? 0
        let token = try tokenFilter(request)
        let (offset, limit) = try page(request)
        let window = try request.integer("window", in: 0...explorer.limits.maxWindow, default: 8)
        return try FeatureRowsPage.make(postings: postings, local: f, feature: id, minimum: minimum, tokenID: token,
                                        offset: offset, limit: limit, window: window, reader: explorer.reader)
    }

    /// `token=`: a token id, or a text that is exactly one token of the model's tokenizer.
    func tokenFilter(_ request: ServeRequest) throws -> UInt32? {
        guard let text = request.query["token"] else { return nil }
        if let id = UInt32(text) { return id }
        guard let tokenizer = explorer.tokenizer else {
            throw ServeError.badParameter("token", "give a token id: a token's text needs the model's tokenizer (--model)")
        }
        let ids = tokenizer.encode(text, allowSpecial: false)
        guard ids.count == 1 else {
            throw ServeError.badParameter("token", "\"\(text.prefix(40))\" is \(ids.count) tokens, not one; use ?text= for a sequence, or a token id")
        }
        return ids[0]
    }

    /// `offset` and `limit` within the limits.
    func page(_ request: ServeRequest) throws -> (offset: Int, limit: Int) {
        let limits = explorer.limits
        return (try request.integer("offset", in: 0...Int.max, default: 0),
                try request.integer("limit", in: 1...limits.maxPageSize, default: limits.defaultPageSize))
    }

    // MARK: encode

    /// The body of POST /encode.
    struct EncodeBody: Decodable {
        var text: String
        var top: Int?
    }

    /// POST /encode {"text": …, "top": 5}: per token its top features (live forward + SAE).
    func encode(_ request: ServeRequest) throws -> EncodeResult {
        guard let live = explorer.live else {
            throw ServeError.notServed("/encode", needs: "--sae (or --features) and --model")
        }
        guard request.body.count <= explorer.limits.maxBodyBytes else { throw ServeError.bodyTooLarge(limitBytes: explorer.limits.maxBodyBytes) }
        let body: EncodeBody
        do {
            body = try JSONDecoder().decode(EncodeBody.self, from: Data(request.body))
        } catch DecodingError.keyNotFound(let key, _) {
            throw ServeError.badParameter(key.stringValue, "missing: the body is {\"text\": \"…\", \"top\": 5}")
        } catch DecodingError.typeMismatch(_, let context) {
            let name = context.codingPath.last?.stringValue ?? "body"
            throw ServeError.badParameter(name, "has the wrong type: the body is {\"text\": \"…\", \"top\": 5}")
        } catch {
            throw ServeError.badParameter("body", "is not JSON of the form {\"text\": \"…\", \"top\": 5}")
        }
        let top = body.top ?? 10
        guard (1...explorer.limits.maxTopFeatures).contains(top) else {
            throw ServeError.badParameter("top", "must be in 1...\(explorer.limits.maxTopFeatures), got \(top)")
        }
        return try live.encode(text: body.text, top: top)
    }

    // MARK: search

    /// GET /search?token=…|text=…&offset=&limit=&window=: rows whose token (or token sequence,
    /// starting there) matches, in row order, each in its context.
    func search(_ request: ServeRequest) throws -> SearchPage {
        let sequence: [UInt32]
        if let token = try tokenFilter(request) {
            sequence = [token]
        } else if let text = request.query["text"] {
            guard let tokenizer = explorer.tokenizer else { throw ServeError.notServed("/search?text=", needs: "--model (its tokenizer)") }
            sequence = tokenizer.encode(text, allowSpecial: false)
            guard !sequence.isEmpty else { throw ServeError.badParameter("text", "is empty") }
            guard sequence.count <= explorer.limits.maxTextTokens else {
                throw ServeError.badParameter("text", "is \(sequence.count) tokens; the limit is \(explorer.limits.maxTextTokens)")
            }
        } else {
            throw ServeError.badParameter("token", "give ?token=ID or ?token=TEXT (one token), or ?text=TEXT (a sequence)")
        }
        let (offset, limit) = try page(request)
        let window = try request.integer("window", in: 0...explorer.limits.maxWindow, default: 8)
        let index = try explorer.tokens.index()
        let matches = index.rows(matching: sequence)
        let rows = matches.dropFirst(offset).prefix(limit)
        return SearchPage(tokenIDs: sequence, total: matches.count, offset: offset, limit: limit,
                          results: try rows.map { try context(row: $0, window: window) })
    }
}

/// GET /search's answer.
public struct SearchPage: Codable, Sendable, Equatable {
    /// The token ids searched for (a sequence for ?text=).
    public var tokenIDs: [UInt32]
    /// Matching rows in all.
    public var total: Int
    /// Index of the page's first match.
    public var offset: Int
    /// Page size asked for.
    public var limit: Int
    /// The page's matches in row order: each the sequence's first token in its context.
    public var results: [TokenContext]
}
