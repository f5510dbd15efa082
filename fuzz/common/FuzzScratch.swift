#if canImport(Glibc)
import Glibc
#endif

/// Writes each fuzz input to one per-process file, for parsers that take a path (they map the
/// file, so the bytes reach them exactly as a file on disk would).
enum FuzzScratch {
    static func path(suffix: String) -> String {
        let dir = getenv("FUZZ_SCRATCH_DIR").map { String(cString: $0) } ?? "/tmp"
        return "\(dir)/saestore-fuzz-\(getpid()).\(suffix)"
    }

    static func write(_ bytes: UnsafeBufferPointer<UInt8>, to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "FuzzScratch: cannot create \(path)")
        var written = 0
        while written < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + written, bytes.count - written)
            precondition(n > 0, "FuzzScratch: write to \(path) failed")
            written += n
        }
        close(fd)
    }
}
