import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing files and directories so they survive a crash: data fsynced before a rename makes
/// it visible, and the parent directory fsynced after, as POSIX requires for the rename itself.
enum DurableFile {
    /// Writes `data` to `url` and fsyncs it (the caller renames the enclosing directory).
    static func write(_ data: Data, to url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CheckpointError.io(path: url.path, operation: "open", message: lastError()) }
        defer { close(fd) }
        try data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = posixWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw CheckpointError.io(path: url.path, operation: "write", message: lastError())
                }
                offset += n
            }
        }
        guard fsync(fd) == 0 else { throw CheckpointError.io(path: url.path, operation: "fsync", message: lastError()) }
    }

    /// fsyncs a directory so renames and creations inside it are durable.
    static func syncDirectory(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw CheckpointError.io(path: url.path, operation: "open directory", message: lastError()) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw CheckpointError.io(path: url.path, operation: "fsync directory", message: lastError()) }
    }

    /// rename(2), atomic within one file system.
    static func rename(_ from: URL, to: URL) throws {
        guard posixRename(from.path, to.path) == 0 else {
            throw CheckpointError.io(path: to.path, operation: "rename from \(from.lastPathComponent)", message: lastError())
        }
    }

    static func lastError() -> String { String(cString: strerror(errno)) }
}

/// The libc functions, named apart from `DurableFile`'s own `write` and `rename`.
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}

private func posixRename(_ from: String, _ to: String) -> Int32 {
    rename(from, to)
}
