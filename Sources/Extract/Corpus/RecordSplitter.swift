#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cuts a byte stream into records at a delimiter (or keeps it whole), reading fixed-size
/// blocks, with records that straddle blocks joined and records over a size limit discarded
/// as they stream past — memory never exceeds about `maxRecordBytes + 2 × blockBytes`.
///
/// An empty remainder after the last delimiter is not a record, so "a\nb\n" holds two lines
/// and an empty file none.
final class RecordSplitter {
    struct Record {
        /// The record without its delimiter; nil when it was longer than the limit. Valid only
        /// inside the `withNextRecord` closure.
        var bytes: UnsafeBufferPointer<UInt8>?
        /// Offset of the record's first byte in the stream.
        var byteOffset: Int
        /// Length of the record without its delimiter.
        var byteCount: Int
        /// 1-based line of the record's first byte (1 when lines are not counted).
        var lineNumber: Int
    }

    private let source: ByteSource
    private let delimiter: [UInt8]
    private let maxRecordBytes: Int
    private let blockBytes: Int
    private let countsLines: Bool
    private let maxCapacity: Int

    /// malloc'ed (see `reallocate`).
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Unconsumed bytes are `storage[start..<end]`; no delimiter starts in `start..<scanFrom`.
    private var start = 0
    private var end = 0
    private var scanFrom = 0
    /// Stream offset of `storage[0]`.
    private var storageByteOffset = 0
    /// Line number of `storage[start]`.
    private var lineNumber = 1
    private var reachedEnd = false
    private var finished = false
    /// While a record over the limit streams past: where it began and how much was dropped.
    private var discarding: (byteOffset: Int, lineNumber: Int, droppedByteCount: Int)?

    /// - delimiter: empty means the whole stream is one record.
    init(source: ByteSource, delimiter: [UInt8], maxRecordBytes: Int, blockBytes: Int, countsLines: Bool) {
        self.source = source
        self.delimiter = delimiter
        self.maxRecordBytes = maxRecordBytes
        self.blockBytes = blockBytes
        self.countsLines = countsLines
        maxCapacity = maxRecordBytes + delimiter.count + 2 * blockBytes
        capacity = min(2 * blockBytes, maxCapacity)
        storage = Self.reallocate(nil, capacity)
    }

    deinit { free(storage) }

    /// realloc rather than allocate-copy-free: large blocks grow in place (mremap) on Linux, so
    /// a record near the limit does not briefly need twice the memory.
    private static func reallocate(_ pointer: UnsafeMutablePointer<UInt8>?, _ byteCount: Int) -> UnsafeMutablePointer<UInt8> {
        guard let grown = realloc(pointer, byteCount) else { preconditionFailure("out of memory growing a record buffer to \(byteCount) bytes") }
        return grown.assumingMemoryBound(to: UInt8.self)
    }

    /// Bytes allocated for the record buffer; it only grows, so this is also its peak, and it
    /// never exceeds `maxRecordBytes + delimiter + 2 × blockBytes`.
    var bufferByteCapacity: Int { capacity }

    /// Decompressed bytes consumed so far (through the end of the last record's delimiter).
    var consumedByteCount: Int { storageByteOffset + start }

    /// Calls `body` with the next record; nil once the stream is exhausted.
    func withNextRecord<R>(_ body: (Record) throws -> R) throws -> R? {
        if finished { return nil }
        while true {
            if !delimiter.isEmpty, let found = findDelimiter() {
                return try emit(recordEnd: found, nextStart: found + delimiter.count, body)
            }
            scanFrom = delimiter.isEmpty ? end : max(start, end - (delimiter.count - 1))
            if scanFrom - start > maxRecordBytes || (discarding != nil && scanFrom > start) {
                // Everything before scanFrom belongs to an over-long record: drop it now.
                if discarding == nil { discarding = (storageByteOffset + start, lineNumber, 0) }
                discarding!.droppedByteCount += scanFrom - start
                advanceLines(to: scanFrom)
                start = scanFrom
            }
            if reachedEnd {
                finished = true
                if start == end && discarding == nil { return nil }
                return try emit(recordEnd: end, nextStart: end, body)
            }
            try fill()
        }
    }

    /// Consumes `storage[start..<nextStart]` and hands `start..<recordEnd` to `body`. The state
    /// moves on before `body` runs, so a throwing body (strict mode) leaves the splitter usable.
    private func emit<R>(recordEnd: Int, nextStart: Int, _ body: (Record) throws -> R) throws -> R {
        let record: Record
        if let discarding {
            record = Record(bytes: nil, byteOffset: discarding.byteOffset,
                            byteCount: discarding.droppedByteCount + (recordEnd - start), lineNumber: discarding.lineNumber)
            self.discarding = nil
        } else {
            let count = recordEnd - start
            record = Record(bytes: count > maxRecordBytes ? nil : UnsafeBufferPointer(start: storage + start, count: count),
                            byteOffset: storageByteOffset + start, byteCount: count, lineNumber: lineNumber)
        }
        advanceLines(to: nextStart)
        start = nextStart
        scanFrom = nextStart
        return try body(record)
    }

    private func advanceLines(to position: Int) {
        guard countsLines else { return }
        var cursor = start
        while cursor < position, let hit = memchr(storage + cursor, 0x0A, position - cursor) {
            lineNumber += 1
            cursor = storage.distance(to: hit.assumingMemoryBound(to: UInt8.self)) + 1
        }
    }

    private func findDelimiter() -> Int? {
        let first = Int32(delimiter[0])
        var cursor = scanFrom
        while cursor < end, let hit = memchr(storage + cursor, first, end - cursor) {
            let position = storage.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if delimiter.count == 1 { return position }
            if position + delimiter.count > end { return nil }
            let matches = delimiter.withUnsafeBufferPointer { memcmp(storage + position, $0.baseAddress!, delimiter.count) == 0 }
            if matches { return position }
            cursor = position + 1
        }
        return nil
    }

    private func fill() throws {
        if start > 0 && capacity - end < blockBytes {
            memmove(storage, storage + start, end - start)
            storageByteOffset += start
            end -= start
            scanFrom -= start
            start = 0
        }
        if capacity - end < blockBytes {
            let newCapacity = max(end + blockBytes, min(2 * capacity, maxCapacity))
            storage = Self.reallocate(storage, newCapacity)
            capacity = newCapacity
        }
        let count = try source.read(into: UnsafeMutableRawBufferPointer(start: storage + end, count: capacity - end))
        if count == 0 { reachedEnd = true } else { end += count }
    }
}
