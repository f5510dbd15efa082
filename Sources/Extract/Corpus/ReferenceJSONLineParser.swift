import Foundation

/// The plain version of `JSONLineParser`: Foundation's `JSONSerialization`, then a dictionary
/// lookup. Tests hold the two equal on well-formed lines (text and accept/reject); it gives no
/// positions and its handling of invalid UTF-8 and lone surrogates is Foundation's, so those
/// cases are tested on `JSONLineParser` alone.
enum ReferenceJSONLineParser {
    /// The string value of top-level `field`, or nil if the line is not an object holding one.
    static func text(ofLine line: [UInt8], field: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line), options: []),
              let dictionary = object as? [String: Any],
              let value = dictionary[field] else { return nil }
        // NSNumber and NSNull must not pass as strings.
        guard let string = value as? String, !(value is NSNumber) else { return nil }
        return string
    }
}
