#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file being written under a temporary name and renamed into place by `commit()`, so a
/// crash or an error never leaves a half-written file under the final name.
final class FileSink {
    let path: String
    let temporaryPath: String
    private var fd: Int32
    /// Bytes written so far.
    private(set) var byteCount = 0

    init(path: String) throws {
        self.path = path
        self.temporaryPath = path + ".partial"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw TensorIOError.io(path: temporaryPath, operation: "open for writing", message: MappedFile.lastError()) }
    }

    deinit {
        // Not committed: drop the temporary file.
        if fd >= 0 {
            close(fd)
            unlink(temporaryPath)
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = posixWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw TensorIOError.io(path: temporaryPath, operation: "write at byte offset \(byteCount + offset)", message: MappedFile.lastError())
            }
            offset += n
        }
        byteCount += bytes.count
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Flushes, closes and renames the file into place.
    func commit() throws {
        guard fsync(fd) == 0 else { throw TensorIOError.io(path: temporaryPath, operation: "fsync", message: MappedFile.lastError()) }
        let closed = close(fd)
        fd = -1
        guard closed == 0 else {
            unlink(temporaryPath)
            throw TensorIOError.io(path: temporaryPath, operation: "close", message: MappedFile.lastError())
        }
        guard rename(temporaryPath, path) == 0 else {
            let message = MappedFile.lastError()
            unlink(temporaryPath)
            throw TensorIOError.io(path: path, operation: "rename from \(temporaryPath)", message: message)
        }
    }
}

/// The libc write(2), named apart from `FileSink.write`.
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
