#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only. Tensor files are read through the mapping so that opening a
/// multi-gigabyte checkpoint costs nothing until bytes are touched. Package-visible (not
/// public: its closures take raw pointers) so Features maps its results files with it too.
package final class MappedFile: @unchecked Sendable {
    package let path: String
    package let byteCount: Int
    private let base: UnsafeRawPointer?

    package init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw TensorIOError.io(path: path, operation: "open", message: MappedFile.lastError()) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw TensorIOError.io(path: path, operation: "fstat", message: MappedFile.lastError()) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw TensorIOError.io(path: path, operation: "open", message: "not a regular file")
        }
        byteCount = Int(st.st_size)
        if byteCount == 0 {
            // mmap of length 0 is an error; an empty file is simply an empty buffer.
            base = nil
            return
        }
        let mapped = mmap(nil, byteCount, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw TensorIOError.io(path: path, operation: "mmap", message: MappedFile.lastError())
        }
        base = UnsafeRawPointer(mapped)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), byteCount) }
    }

    /// Calls `body` with the bytes in `range`; the caller has already checked the range.
    package func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        precondition(range.lowerBound >= 0 && range.upperBound <= byteCount, "MappedFile: range \(range) outside \(byteCount) bytes of \(path)")
        guard let base else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count))
    }

    static func lastError() -> String { String(cString: strerror(errno)) }
}
