import Foundation

extension JSONEncoder {
    /// An encoder whose output bytes depend only on the value: keys sorted. Plain JSONEncoder
    /// orders keys as a Dictionary iterates them, and that order follows the dictionary's
    /// storage address, so it changes with the allocator (loader positions saved in checkpoints
    /// must compare equal byte for byte).
    static var sortedKeys: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
