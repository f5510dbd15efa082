/// A config field out of range.
public struct SAEConfigError: Error, CustomStringConvertible, Equatable {
    /// The offending field's name as it appears in the JSON config.
    public let field: String
    /// Its value.
    public let value: String
    /// What it must be.
    public let expected: String

    /// The message with the field, its value, what was expected and a hint.
    public var description: String {
        "SAE config: \(field) = \(value) is invalid; expected \(expected). "
            + "Hint: fix the flag or the config.json field `\(field)`."
    }
}
