/// A request as the API's handlers see it, whatever carried it (Hummingbird in `saestore serve`,
/// a plain value in the tests): the method, the path split into decoded segments, the decoded
/// query, the body and the credentials.
public struct ServeRequest: Sendable, Equatable {
    /// "GET", "POST", … as sent.
    public var method: String
    /// The path's segments, percent-decoded: "/rows/12" is ["rows", "12"]; "/" is [].
    public var segments: [String]
    /// Query parameters, percent-decoded ('+' as a space); the last of a repeated name wins.
    public var query: [String: String]
    /// The request body (empty for GET).
    public var body: [UInt8]
    /// The `Authorization` header, if sent.
    public var authorization: String?

    /// A request from its already-decoded parts.
    public init(method: String, segments: [String], query: [String: String] = [:], body: [UInt8] = [], authorization: String? = nil) {
        self.method = method
        self.segments = segments
        self.query = query
        self.body = body
        self.authorization = authorization
    }

    /// Parses a request target: `path` as sent on the request line ("/search", "/rows/3?window=2").
    public init(method: String, target: String, body: [UInt8] = [], authorization: String? = nil) {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts.first.map(String.init) ?? "/"
        self.init(method: method, segments: Self.segments(path: path),
                  query: parts.count > 1 ? Self.query(String(parts[1])) : [:], body: body, authorization: authorization)
    }

    /// "/a/b%20c/" → ["a", "b c"] (empty segments dropped).
    public static func segments(path: String) -> [String] {
        path.split(separator: "/").map { percentDecoded(String($0), plusIsSpace: false) }
    }

    /// "a=1&b=x+y" → ["a": "1", "b": "x y"].
    public static func query(_ query: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = percentDecoded(String(kv[0]), plusIsSpace: true)
            out[key] = kv.count > 1 ? percentDecoded(String(kv[1]), plusIsSpace: true) : ""
        }
        return out
    }

    /// Percent-decoding over UTF-8 bytes; a malformed escape is kept as it was written.
    static func percentDecoded(_ text: String, plusIsSpace: Bool) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "%"), i + 2 < bytes.count, let hi = hex(bytes[i + 1]), let lo = hex(bytes[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(plusIsSpace && b == UInt8(ascii: "+") ? UInt8(ascii: " ") : b)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension ServeRequest {
    /// Query parameter `name` as an integer in `range`, `fallback` when absent.
    func integer(_ name: String, in range: ClosedRange<Int>, default fallback: Int) throws -> Int {
        guard let text = query[name] else { return fallback }
        return try ServeRequest.integer(text, name: name, in: range)
    }

    /// Query parameter `name` as a finite number, nil when absent.
    func number(_ name: String) throws -> Float? {
        guard let text = query[name] else { return nil }
        guard let value = Float(text), value.isFinite else {
            throw ServeError.badParameter(name, "expected a finite number, got \"\(text.prefix(40))\"")
        }
        return value
    }

    /// Query parameter `name` as true/false (also 1/0), `fallback` when absent.
    func flag(_ name: String, default fallback: Bool) throws -> Bool {
        guard let text = query[name] else { return fallback }
        switch text {
        case "true", "1", "": return true
        case "false", "0": return false
        default: throw ServeError.badParameter(name, "expected true or false, got \"\(text.prefix(40))\"")
        }
    }

    /// A path or query value as an integer in `range`.
    static func integer(_ text: String, name: String, in range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(text) else {
            throw ServeError.badParameter(name, "expected an integer, got \"\(text.prefix(40))\"")
        }
        guard range.contains(value) else {
            throw ServeError.badParameter(name, "must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
        }
        return value
    }
}
