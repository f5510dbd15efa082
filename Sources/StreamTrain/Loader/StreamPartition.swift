/// One of `count` streams that split every epoch's chunks between them: after the epoch's
/// chunk permutation, stream `index` reads the chunks at positions index, index + count, …
/// Each stream has its own shuffle buffer (1/count of the configured rows) and draw RNG.
public struct StreamPartition: Codable, Sendable, Equatable {
    /// This stream, 0..<count.
    public var index: Int
    /// Streams the epoch is split into.
    public var count: Int

    /// The single stream that reads everything (a plain run).
    public static let whole = StreamPartition(index: 0, count: 1)

    /// Stream `index` of `count` (traps unless 0 <= index < count).
    public init(index: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(index), "stream \(index) of \(count)")
        self.index = index
        self.count = count
    }
}
