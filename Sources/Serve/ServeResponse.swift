import Foundation

/// An answer: status, content type and body bytes (JSON for the API, HTML at /).
public struct ServeResponse: Sendable, Equatable {
    /// HTTP status code.
    public var status: Int
    /// The Content-Type header.
    public var contentType: String
    /// The body bytes.
    public var body: [UInt8]

    /// An answer of `status` with `body` of `contentType`.
    public init(status: Int = 200, contentType: String, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// `value` as compact JSON with sorted keys (the same value, the same bytes).
    public static func json(_ value: some Encodable, status: Int = 200) throws -> ServeResponse {
        ServeResponse(status: status, contentType: "application/json; charset=utf-8", body: Array(try encoder.encode(value)))
    }

    /// A JSON answer whose bytes are already written (`TokenContext.json()`, a kept feature detail).
    static func json(bytes: [UInt8], status: Int = 200) -> ServeResponse {
        ServeResponse(status: status, contentType: "application/json; charset=utf-8", body: bytes)
    }

    /// The JSON answer for `error`.
    public static func error(_ error: ServeError) -> ServeResponse {
        // Encoding a struct of ints and strings cannot fail.
        ServeResponse(status: error.status, contentType: "application/json; charset=utf-8",
                      body: Array(try! encoder.encode(ServeErrorBody(error))))
    }

    /// The body as text (tests and logs).
    public var text: String { String(decoding: body, as: UTF8.self) }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }()
}
