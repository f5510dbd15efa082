#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What stat(2) says about a file: size, inode and modification and status-change times.
/// Equal stamps mean the file was not written since the stamp was taken: every write updates
/// the mtime and the ctime, and no user call sets the ctime (`touch -d` and `cp -p` restore
/// the mtime, not the ctime), so a stamp is a sound stand-in for re-reading the bytes.
public struct FileStamp: Codable, Sendable, Equatable {
    /// File name inside its directory.
    public var name: String
    /// Size, bytes.
    public var byteCount: Int
    /// Inode number: a file replaced by rename (same size and times) still gets a new stamp.
    public var inode: UInt64
    /// Modification time, nanoseconds since 1970.
    public var modifiedNanoseconds: Int64
    /// Status-change time, nanoseconds since 1970.
    public var changedNanoseconds: Int64

    /// The stamp of `directory/name`, or nil when it cannot be stat'ed.
    public static func of(directory: String, name: String) -> FileStamp? {
        var st = stat()
        guard stat(directory + "/" + name, &st) == 0 else { return nil }
        #if canImport(Darwin)
        let modified = st.st_mtimespec, changed = st.st_ctimespec
        #else
        let modified = st.st_mtim, changed = st.st_ctim
        #endif
        return FileStamp(name: name, byteCount: Int(st.st_size), inode: UInt64(st.st_ino),
                         modifiedNanoseconds: Int64(modified.tv_sec) * 1_000_000_000 + Int64(modified.tv_nsec),
                         changedNanoseconds: Int64(changed.tv_sec) * 1_000_000_000 + Int64(changed.tv_nsec))
    }
}
