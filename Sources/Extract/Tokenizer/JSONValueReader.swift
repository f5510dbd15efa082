import Foundation

/// Typed access to a parsed JSON value that remembers its path, so every error says where.
///
/// `tokenizer.json` can be megabytes of nested objects; Foundation parses it and this wrapper
/// turns "wrong type" into `TokenizerJSONError.malformed(path, at: "model.merges[12]", …)`.
struct JSONValueReader {
    let value: Any?
    let file: String
    let at: String

    static func parse(_ bytes: [UInt8], file: String) throws -> JSONValueReader {
        do {
            let value = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            return JSONValueReader(value: value, file: file, at: "(top)")
        } catch {
            throw TokenizerJSONError.notJSON(path: file, reason: "\(error.localizedDescription)")
        }
    }

    var isNull: Bool { value == nil || value is NSNull }

    subscript(key: String) -> JSONValueReader {
        let object = value as? [String: Any]
        return JSONValueReader(value: object?[key], file: file, at: at == "(top)" ? key : "\(at).\(key)")
    }

    func malformed(_ expected: String) -> TokenizerJSONError {
        .malformed(path: file, at: at, expected: expected)
    }

    func unsupported(_ what: String) -> TokenizerJSONError {
        .unsupported(path: file, at: at, what: what)
    }

    func string() throws -> String {
        guard let string = value as? String else { throw malformed("a string") }
        return string
    }

    func optionalString() throws -> String? { isNull ? nil : try string() }

    func bool(default fallback: Bool) throws -> Bool {
        if isNull { return fallback }
        guard let flag = value as? Bool else { throw malformed("true or false") }
        return flag
    }

    func integer() throws -> Int {
        guard let number = value as? NSNumber, let integer = Int(exactly: number.doubleValue) else { throw malformed("an integer") }
        return integer
    }

    func optionalInteger() throws -> Int? { isNull ? nil : try integer() }

    func array() throws -> [JSONValueReader] {
        guard let array = value as? [Any] else { throw malformed("an array") }
        return array.enumerated().map { JSONValueReader(value: $1, file: file, at: "\(at)[\($0)]") }
    }

    func object() throws -> [(key: String, value: JSONValueReader)] {
        guard let object = value as? [String: Any] else { throw malformed("an object") }
        return object.map { ($0.key, JSONValueReader(value: $0.value, file: file, at: "\(at).\($0.key)")) }
    }

    /// The `type` field of a component object (`{"type": "NFC"}`).
    func componentType() throws -> String { try self["type"].string() }
}
