import Foundation

/// Recently decoded chunks, for random access: a lookup reads one row but must decode its
/// whole chunk, and lookups cluster (a token's neighbours, the same feature's examples
/// again). Least-recently-used eviction under a byte budget; thread-safe. Whole-chunk
/// scans bypass it, so training never fills it.
final class DecodedChunkCache: @unchecked Sendable {
    enum Values {
        case floats([Float])
        case integers([UInt64])

        var byteCount: Int {
            switch self {
            case .floats(let v): return v.count * 4
            case .integers(let v): return v.count * 8
            }
        }
    }

    private struct Key: Hashable {
        var column: Int
        var chunk: Int
    }

    private let lock = NSLock()
    private var entries: [Key: (values: Values, lastUse: Int)] = [:]
    private var clock = 0
    private var bytes = 0
    var budgetBytes: Int

    init(budgetBytes: Int) { self.budgetBytes = budgetBytes }

    func get(column: Int, chunk: Int) -> Values? {
        lock.withLock {
            let key = Key(column: column, chunk: chunk)
            guard let entry = entries[key] else { return nil }
            clock += 1
            entries[key] = (entry.values, clock)
            return entry.values
        }
    }

    func put(column: Int, chunk: Int, _ values: Values) {
        lock.withLock {
            guard values.byteCount <= budgetBytes else { return }
            clock += 1
            let key = Key(column: column, chunk: chunk)
            if let old = entries[key] { bytes -= old.values.byteCount }
            entries[key] = (values, clock)
            bytes += values.byteCount
            while bytes > budgetBytes, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                bytes -= oldest.value.values.byteCount
                entries[oldest.key] = nil
            }
        }
    }

    func removeAll() {
        lock.withLock {
            entries.removeAll()
            bytes = 0
        }
    }
}
