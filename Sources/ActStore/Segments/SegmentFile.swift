import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Segment files: `segments/NNNNNN.seg`, a 16-byte header then compressed chunks back to
/// back. Append-only; bytes past the index's committed length are leftovers of an
/// interrupted write and are cut off when a writer next opens the store.
enum SegmentFile {
    static let magic: [UInt8] = Array("SAESTSEG".utf8)
    static let headerByteCount = 16

    static func name(_ segment: Int) -> String { String(format: "%06d.seg", segment) }

    static func path(store: String, segment: Int) -> String {
        "\(store)/segments/\(name(segment))"
    }

    static func header(segment: Int) -> [UInt8] {
        var w = RecordWriter(capacity: headerByteCount)
        w.raw(magic)
        w.u32(StoreFormat.version)
        w.u32(UInt32(segment))
        return w.bytes
    }
}

/// Appends to one segment file with plain POSIX calls; every failure is a `StoreError.io`
/// naming the file, so a full disk is reported, not crashed on.
final class SegmentAppender {
    let path: String
    let segment: Int
    private let fd: Int32
    private(set) var byteCount: Int

    /// Opens `segment` for appending at `committedByteCount`, cutting off anything after
    /// it; a new segment (committedByteCount 0) gets its header.
    init(store: String, segment: Int, committedByteCount: Int) throws {
        path = SegmentFile.path(store: store, segment: segment)
        self.segment = segment
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { throw StoreError.io(path: path, operation: "open", errno: errno) }
        byteCount = committedByteCount
        do {
            if ftruncate(fd, off_t(committedByteCount)) != 0 {
                throw StoreError.io(path: path, operation: "truncate", errno: errno)
            }
            if lseek(fd, off_t(committedByteCount), SEEK_SET) < 0 {
                throw StoreError.io(path: path, operation: "seek", errno: errno)
            }
            if committedByteCount == 0 {
                try append(SegmentFile.header(segment: segment))
            }
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    @discardableResult
    func append(_ bytes: [UInt8]) throws -> Int {
        try bytes.withUnsafeBytes { try append($0) }
    }

    /// Appends and returns the byte offset the bytes start at.
    @discardableResult
    func append(_ bytes: UnsafeRawBufferPointer) throws -> Int {
        let start = byteCount
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.io(path: path, operation: "write", errno: errno)
            }
            done += n
        }
        byteCount += bytes.count
        return start
    }

    func sync() throws {
        if fsync(fd) != 0 { throw StoreError.io(path: path, operation: "fsync", errno: errno) }
    }
}

/// A read-only mmap of one segment file as it was when mapped. Chunk records only point at
/// committed bytes, which a writer never changes, so a mapping stays valid while the file
/// grows; a refresh maps the file again to see new chunks.
final class SegmentMapping: @unchecked Sendable {
    let path: String
    let byteCount: Int
    private let base: UnsafeMutableRawPointer?

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw StoreError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw StoreError.io(path: path, operation: "stat", errno: errno) }
        byteCount = Int(st.st_size)
        if byteCount == 0 {
            base = nil
            return
        }
        let p = mmap(nil, byteCount, PROT_READ, MAP_SHARED, fd, 0)
        if p == MAP_FAILED { throw StoreError.io(path: path, operation: "mmap", errno: errno) }
        base = p
    }

    deinit {
        if let base { munmap(base, byteCount) }
    }

    /// Calls `body` with bytes `range` of the mapping; the caller has checked the bounds.
    func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        precondition(range.lowerBound >= 0 && range.upperBound <= byteCount, "segment range \(range) outside \(path) (\(byteCount) bytes)")
        guard let base else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count))
    }

    /// Drops the pages covering a range from this process's mapping (MADV_DONTNEED). The file
    /// is mapped read-only and shared, so nothing is lost: the bytes stay in the page cache and
    /// a later access (by any thread, even one reading a neighbouring chunk on the same page)
    /// simply faults them in again. Without this a streaming scan keeps every page it touched
    /// mapped, and the process's resident size grows with the store.
    func release(_ range: Range<Int>) {
        guard let base, range.upperBound <= byteCount, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = range.lowerBound / page * page
        let end = min((range.upperBound + page - 1) / page * page, (byteCount + page - 1) / page * page)
        madvise(base + start, end - start, MADV_DONTNEED)
    }

    /// Asks the kernel to read a range ahead (the loader prefetches chunks it will decode).
    func willNeed(_ range: Range<Int>) {
        guard let base, range.upperBound <= byteCount, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = range.lowerBound / page * page
        madvise(base + start, range.upperBound - start, MADV_WILLNEED)
    }
}
