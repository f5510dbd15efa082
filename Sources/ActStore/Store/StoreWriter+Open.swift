import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension StoreWriter {
    /// Creates a new store at `path` (which must not exist, or be an empty directory).
    public static func create(at path: String, manifest: StoreManifest) throws -> StoreWriter {
        try manifest.validate()
        let fm = FileManager.default
        try refuseShardedStore(path)
        if fm.fileExists(atPath: path) {
            let entries = (try? fm.contentsOfDirectory(atPath: path)) ?? ["?"]
            let ours: Set<String> = [StoreFormat.indexDirectory, StoreFormat.segmentsDirectory, StoreFormat.lockFile]
            if StoreDirectory.holdsStore(path) || !Set(entries).isSubset(of: ours) {
                throw StoreError.alreadyExists(path: path)
            }
            // An interrupted create (no magic committed yet): start it again.
            try? fm.removeItem(atPath: StoreDirectory.indexPath(path))
            try? fm.removeItem(atPath: StoreDirectory.segmentsPath(path))
        }
        do {
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
            let code = underlying?.domain == NSPOSIXErrorDomain ? Int32(underlying!.code) : EIO
            throw StoreError.io(path: path, operation: "create directory", errno: code)
        }
        try StoreDirectory.makeDirectory(StoreDirectory.indexPath(path))
        try StoreDirectory.makeDirectory(StoreDirectory.segmentsPath(path))
        let lock = try acquireLock(path)
        do {
            let env = try LMDBEnvironment.shared(path: StoreDirectory.indexPath(path), create: true)
            var versionBytes = RecordWriter()
            versionBytes.u32(StoreFormat.version)
            let manifestBytes = try JSONEncoder.sorted.encode(manifest)
            try env.withTransaction(write: true) { txn in
                try txn.put(.meta, StoreFormat.MetaKey.version, versionBytes.bytes)
                try txn.put(.meta, StoreFormat.MetaKey.manifest, Array(manifestBytes))
                try txn.put(.meta, StoreFormat.MetaKey.state, CommitState().encoded())
                // The magic goes in last of all: a store exists once this commits.
                try txn.put(.meta, StoreFormat.MetaKey.magic, StoreFormat.magic)
            }
            return try StoreWriter(path: path, env: env, lockFD: lock, manifest: manifest, state: CommitState())
        } catch {
            close(lock)
            throw error
        }
    }

    /// Opens an existing store for appending, cutting off whatever an interrupted writer
    /// appended after the last commit.
    public static func open(at path: String) throws -> StoreWriter {
        try refuseShardedStore(path)
        let lock = try acquireLock(path)
        do {
            let (env, manifest, state) = try StoreDirectory.openIndex(path, readOnly: false)
            // Segments after the committed tail hold only uncommitted chunks.
            for segment in StoreDirectory.segmentNumbers(path) where segment > state.tailSegment {
                let segmentPath = SegmentFile.path(store: path, segment: segment)
                if unlink(segmentPath) != 0 { throw StoreError.io(path: segmentPath, operation: "unlink", errno: errno) }
            }
            let tailPath = SegmentFile.path(store: path, segment: state.tailSegment)
            if state.tailSegmentByteCount > 0 && !FileManager.default.fileExists(atPath: tailPath) {
                throw StoreError.missingSegment(store: path, column: manifest.columns[0].name, chunk: max(0, state.chunkCount - 1), segment: tailPath)
            }
            return try StoreWriter(path: path, env: env, lockFD: lock, manifest: manifest, state: state)
        } catch {
            close(lock)
            throw error
        }
    }

    /// A sharded store's directory holds only its manifest (and shards): writers never write
    /// through it, so a mistaken --store cannot shadow or change the union.
    private static func refuseShardedStore(_ path: String) throws {
        if ShardManifest.exists(in: path) && !StoreDirectory.holdsStore(path) {
            throw StoreError.invalidArgument("\(path) is a sharded store (\(ShardManifest.fileName)); nothing is written through it: write to one of its shards, then rerun `saestore shards` to update the manifest")
        }
    }

    /// Opens the store at `path` if it exists, else creates it with `manifest`. An existing
    /// store must have the same columns (resuming an ingest with the same command).
    public static func openOrCreate(at path: String, manifest: StoreManifest) throws -> StoreWriter {
        guard StoreDirectory.holdsStore(path) else { return try create(at: path, manifest: manifest) }
        let writer = try open(at: path)
        if writer.manifest.columns != manifest.columns || writer.manifest.hasDocuments != manifest.hasDocuments {
            let have = writer.manifest.columns.map { "\($0.name):\($0.codec.rawValue)" }.joined(separator: ", ")
            let want = manifest.columns.map { "\($0.name):\($0.codec.rawValue)" }.joined(separator: ", ")
            throw StoreError.invalidArgument("\(path) already holds a store with columns [\(have)], not [\(want)]; use another --store or the same hooks and dtype")
        }
        return writer
    }

    fileprivate static func acquireLock(_ path: String) throws -> Int32 {
        let lockPath = "\(path)/\(StoreFormat.lockFile)"
        let fd = Glibc.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 {
            if errno == ENOENT { throw StoreError.notAStore(path: path, reason: "no such directory") }
            throw StoreError.io(path: lockPath, operation: "open", errno: errno)
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            throw StoreError.locked(path: path)
        }
        return fd
    }
}
