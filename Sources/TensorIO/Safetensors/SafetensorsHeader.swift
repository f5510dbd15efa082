import Foundation

/// The safetensors JSON header decoded leniently per key, so that each bad entry can be
/// reported with its tensor name rather than as an anonymous decoding failure.
struct SafetensorsHeader: Decodable {
    struct Entry: Decodable {
        let dtype: String?
        let shape: [Int]?
        let dataOffsets: [Int]?

        enum CodingKeys: String, CodingKey {
            case dtype, shape
            case dataOffsets = "data_offsets"
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static let metadataKey = "__metadata__"

    /// Tensor entries in header order, each decoded or with the reason it could not be.
    var entries: [(name: String, entry: Result<Entry, Error>)] = []
    var metadata: Result<[String: String], Error>? = nil

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        for key in container.allKeys {
            if key.stringValue == Self.metadataKey {
                metadata = Result { try container.decode([String: String].self, forKey: key) }
            } else {
                entries.append((key.stringValue, Result { try container.decode(Entry.self, forKey: key) }))
            }
        }
    }

    /// A one-line account of a DecodingError, without Swift's type names where possible.
    static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case let .typeMismatch(type, context):
            return "field \(path(context)) has the wrong type (expected \(type))"
        case let .valueNotFound(type, context):
            return "field \(path(context)) is null (expected \(type))"
        case let .keyNotFound(key, _):
            return "missing field \"\(key.stringValue)\""
        case let .dataCorrupted(context):
            return context.debugDescription + (context.underlyingError.map { " (\($0.localizedDescription))" } ?? "")
        @unknown default:
            return "\(error)"
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        let components = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        return "\"" + components.joined(separator: ".") + "\""
    }
}
