#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A stream of (decompressed) corpus bytes.
protocol ByteSource: AnyObject {
    /// Fills the front of `buffer` and returns how many bytes it wrote; 0 means the stream ended.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// A file read sequentially with `read(2)`.
final class FileByteSource: ByteSource {
    let path: String
    /// Size of the file when it was opened, in bytes.
    let byteCount: Int
    /// Bytes read so far (the progress of a compressed file is measured here).
    private(set) var bytesRead = 0
    private let descriptor: Int32

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            throw CorpusError.cannotOpen(path: path, reason: code == ENOENT ? "no such file" : String(cString: strerror(code)))
        }
        var st = stat()
        if fstat(fd, &st) != 0 {
            let code = errno
            close(fd)
            throw CorpusError.cannotOpen(path: path, reason: String(cString: strerror(code)))
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw CorpusError.cannotOpen(path: path, reason: "is a directory")
        }
        descriptor = fd
        byteCount = Int(st.st_size)
        #if os(Linux)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
    }

    deinit { close(descriptor) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let count = systemRead(descriptor, base, buffer.count)
            if count >= 0 {
                bytesRead += count
                return count
            }
            if errno == EINTR { continue }
            throw CorpusError.readFailed(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Reads up to `count` bytes from the start without moving the read position (magic numbers).
    func peekPrefix(_ count: Int) -> [UInt8] {
        var prefix = [UInt8](repeating: 0, count: count)
        let got = prefix.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, 0) }
        return Array(prefix.prefix(max(0, got)))
    }
}

#if canImport(Glibc)
private let systemRead = Glibc.read
#elseif canImport(Darwin)
private let systemRead = Darwin.read
#endif
