import Foundation

/// Decoders lent to calls that were given none: a `ChunkDecoder` is not thread-safe and its
/// scratch is worth keeping, so each call borrows one and gives it back.
final class DecoderPool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [ChunkDecoder] = []

    /// Runs `body` with `given`, or with a decoder borrowed from the pool for the call.
    func with<R>(_ given: ChunkDecoder?, _ body: (ChunkDecoder) throws -> R) throws -> R {
        if let given { return try body(given) }
        let decoder = lock.withLock { idle.popLast() } ?? ChunkDecoder()
        defer { lock.withLock { idle.append(decoder) } }
        return try body(decoder)
    }
}
