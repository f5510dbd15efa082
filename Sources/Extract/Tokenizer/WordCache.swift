/// Remembers the token ids of pre-tokens already encoded; natural text repeats a small set of
/// words, so most words skip BPE entirely.
///
/// Bounded: keys and ids live in fixed arenas, and when an arena or the entry table fills the
/// whole cache is cleared (cheap, and a corpus' frequent words come back within a few KB).
/// Lookups hash the word's bytes where they lie in the input, so a hit allocates nothing.
/// Not thread-safe: `WordCachePool` hands each encode call its own cache.
final class WordCache {
    /// Words longer than this are encoded every time rather than filling the arenas.
    static let maxWordByteCount = 256
    let entryCapacity: Int
    let keyByteCapacity: Int
    let idCapacity: Int

    private struct Entry {
        var hash: UInt64
        var keyStart: Int32
        var keyByteCount: Int32
        var idStart: Int32
        var idCount: Int32
    }

    /// Index + 1 into `entries`; 0 is empty. Twice the entry capacity keeps probe runs short.
    private let slots: UnsafeMutableBufferPointer<Int32>
    private let entries: UnsafeMutableBufferPointer<Entry>
    private let keyBytes: UnsafeMutableBufferPointer<UInt8>
    private let ids: UnsafeMutableBufferPointer<UInt32>
    private var entryCount = 0
    private var keyByteCount = 0
    private var idCount = 0
    /// How many times the cache filled up and was cleared (for tests and tuning).
    private(set) var clearCount = 0

    init(entryCapacity: Int = 1 << 16, keyByteCapacity: Int = 1 << 20, idCapacity: Int = 1 << 18) {
        precondition(entryCapacity > 0 && entryCapacity.nonzeroBitCount == 1, "entryCapacity must be a power of two")
        self.entryCapacity = entryCapacity
        self.keyByteCapacity = keyByteCapacity
        self.idCapacity = idCapacity
        slots = .allocate(capacity: entryCapacity * 2)
        slots.initialize(repeating: 0)
        entries = .allocate(capacity: entryCapacity)
        keyBytes = .allocate(capacity: keyByteCapacity)
        ids = .allocate(capacity: idCapacity)
    }

    deinit {
        slots.deallocate()
        entries.deallocate()
        keyBytes.deallocate()
        ids.deallocate()
    }

    @inline(__always)
    static func hash(_ word: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let byteCount = word.count
        var hash = UInt64(byteCount) &* 0x9E37_79B9_7F4A_7C15
        var index = 0
        let base = UnsafeRawPointer(word.baseAddress!)
        while index + 8 <= byteCount {
            let chunk = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            hash = (hash ^ chunk) &* 0xBF58_476D_1CE4_E5B9
            hash ^= hash >> 31
            index += 8
        }
        if index < byteCount {
            var chunk: UInt64 = 0
            var shift: UInt64 = 0
            while index < byteCount {
                chunk |= UInt64(word[index]) << shift
                shift += 8
                index += 1
            }
            hash = (hash ^ chunk) &* 0x94D0_49BB_1331_11EB
            hash ^= hash >> 29
        }
        return hash
    }

    /// The cached ids of `word`, computing and storing them with `encode` on a miss.
    /// The buffer passed to `body` is valid only during the call.
    @inline(__always)
    func withIDs<R>(of word: UnsafeBufferPointer<UInt8>,
                    encode: (UnsafeBufferPointer<UInt8>, inout [UInt32]) -> Void,
                    scratch: inout [UInt32],
                    _ body: (UnsafeBufferPointer<UInt32>) -> R) -> R {
        let byteCount = word.count
        if byteCount > Self.maxWordByteCount {
            scratch.removeAll(keepingCapacity: true)
            encode(word, &scratch)
            return scratch.withUnsafeBufferPointer(body)
        }
        let hash = Self.hash(word)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entryIndex = Int(slots[slot])
            if entryIndex == 0 { break }
            let entry = entries[entryIndex - 1]
            if entry.hash == hash && Int(entry.keyByteCount) == byteCount
                && Self.equal(word, keyBytes.baseAddress! + Int(entry.keyStart)) {
                return body(UnsafeBufferPointer(start: ids.baseAddress! + Int(entry.idStart), count: Int(entry.idCount)))
            }
            slot = (slot + 1) & mask
        }
        scratch.removeAll(keepingCapacity: true)
        encode(word, &scratch)
        let idsNeeded = scratch.count
        if entryCount == entryCapacity || keyByteCount + byteCount > keyByteCapacity || idCount + idsNeeded > idCapacity {
            clear()
            slot = Int(truncatingIfNeeded: hash) & mask
        }
        _ = UnsafeMutableBufferPointer(rebasing: keyBytes[keyByteCount..<(keyByteCount + byteCount)]).initialize(from: word)
        _ = scratch.withUnsafeBufferPointer { UnsafeMutableBufferPointer(rebasing: ids[idCount..<(idCount + idsNeeded)]).initialize(from: $0) }
        entries[entryCount] = Entry(hash: hash, keyStart: Int32(keyByteCount), keyByteCount: Int32(byteCount),
                                    idStart: Int32(idCount), idCount: Int32(idsNeeded))
        entryCount += 1
        slots[slot] = Int32(entryCount)
        keyByteCount += byteCount
        idCount += idsNeeded
        return scratch.withUnsafeBufferPointer(body)
    }

    private func clear() {
        slots.initialize(repeating: 0)
        entryCount = 0
        keyByteCount = 0
        idCount = 0
        clearCount += 1
    }

    @inline(__always)
    private static func equal(_ word: UnsafeBufferPointer<UInt8>, _ key: UnsafePointer<UInt8>) -> Bool {
        for index in 0..<word.count where word[index] != key[index] { return false }
        return true
    }
}
