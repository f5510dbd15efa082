/// What a request did wrong, or what the server cannot do, as the API answers it: an HTTP
/// status, a message that says what was expected, and the parameter at fault (a path or query
/// parameter, a body field, a header). Encoded as `{"error": {"status", "message", "parameter"}}`.
public struct ServeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// HTTP status code (400, 401, 404, 405, 413, 500, 503).
    public var status: Int
    /// What was wrong and what was expected, for a person.
    public var message: String
    /// The parameter the message is about (`row`, `window`, `text`, `Authorization`…), if one.
    public var parameter: String?

    /// An error answer with `status`, `message` and the parameter at fault.
    public init(status: Int, message: String, parameter: String? = nil) {
        self.status = status
        self.message = message
        self.parameter = parameter
    }

    /// "STATUS: message".
    public var description: String { "\(status): \(message)" }

    /// A parameter that does not parse or is out of its range (400).
    public static func badParameter(_ name: String, _ message: String) -> ServeError {
        ServeError(status: 400, message: "\(name): \(message)", parameter: name)
    }

    /// A parameter naming something that does not exist (404).
    public static func notFound(_ name: String, _ message: String) -> ServeError {
        ServeError(status: 404, message: "\(name): \(message)", parameter: name)
    }

    /// An endpoint the server was not started with the files for (404, with the flag to add).
    public static func notServed(_ endpoint: String, needs: String) -> ServeError {
        ServeError(status: 404, message: "\(endpoint) is not served: start `saestore serve` with \(needs)")
    }

    /// A request body over the limit (413).
    public static func bodyTooLarge(limitBytes: Int) -> ServeError {
        ServeError(status: 413, message: "the request body is over the \(limitBytes)-byte limit", parameter: "body")
    }

    /// A missing or wrong access token (401). Says the same for both, on purpose.
    public static let unauthorized = ServeError(
        status: 401, message: "this server needs its access token: send `Authorization: Bearer TOKEN` (or ?access_token=TOKEN)",
        parameter: "Authorization")
}

/// The JSON body of an error answer.
struct ServeErrorBody: Encodable {
    struct Detail: Encodable {
        var status: Int
        var message: String
        var parameter: String?
    }
    var error: Detail

    init(_ error: ServeError) {
        self.error = Detail(status: error.status, message: error.message, parameter: error.parameter)
    }
}
