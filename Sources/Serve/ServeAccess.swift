/// Who may talk to the server. Loopback by default; a non-loopback host needs a token, and then
/// every request, the page included, must carry it (`Authorization: Bearer T`, or `?access_token=T`
/// for links a browser opens). The comparison takes the same time wherever the bytes differ.
public struct ServeAccess: Sendable, Equatable {
    /// The token every request must carry; nil when the server is loopback-only without one.
    public let token: String?

    /// Refuses a non-loopback `host` without a token (anyone on the network could read the
    /// store's text otherwise) and an empty token.
    public init(host: String, token: String?) throws {
        if let token, token.isEmpty {
            throw ServeError(status: 400, message: "--token must not be empty", parameter: "--token")
        }
        if token == nil, !ServeAccess.isLoopback(host) {
            throw ServeError(status: 400, message: "--host \(host) is not a loopback address: anyone who can reach it could read the store; give --token T (clients then send `Authorization: Bearer T`)", parameter: "--host")
        }
        self.token = token
    }

    /// 127.0.0.0/8, ::1 and localhost.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }) else { return false }
        return parts[0] == "127"
    }

    /// Throws `unauthorized` unless the request carries the token (or none is required).
    public func check(_ request: ServeRequest) throws {
        guard let token else { return }
        var given: String?
        if let header = request.authorization, header.hasPrefix("Bearer ") { given = String(header.dropFirst(7)) }
        if given == nil { given = request.query["access_token"] }
        guard let given, Self.constantTimeEqual(Array(given.utf8), Array(token.utf8)) else { throw ServeError.unauthorized }
    }

    /// Equal bytes, in time that depends only on `expected`'s length: every byte of it is
    /// compared, and a length difference is folded into the same accumulator, so how far a
    /// guess matches cannot be timed.
    public static func constantTimeEqual(_ given: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: given.count ^ expected.count) | (given.count == expected.count ? 0 : 1)
        for i in 0..<expected.count {
            let g = i < given.count ? given[i] : 0
            difference |= g ^ expected[i]
        }
        return difference == 0
    }
}
