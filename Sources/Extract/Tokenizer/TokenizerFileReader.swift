import Foundation

/// Reads a tokenizer file whole, turning I/O failures into `TokenizerError.unreadableFile`.
enum TokenizerFileReader {
    static func bytes(atPath path: String) throws -> [UInt8] {
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return [UInt8](data)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "\(error.localizedDescription)" : "no such file"
            throw TokenizerError.unreadableFile(path: path, reason: reason)
        }
    }
}
