import CLMDB
import Foundation

/// The one file in ActStore that calls LMDB: every return code becomes an `LMDBError`.
///
/// The environment is opened with MDB_NOTLS so a read transaction may be used from any
/// thread (the reader hands lookups to worker threads), and the map grows on MDB_MAP_FULL
/// instead of failing, so a store is never limited by an initial size guess.
struct LMDBError: Error, CustomStringConvertible {
    let code: Int32
    let operation: String
    let path: String

    var isNotFound: Bool { code == MDB_NOTFOUND }
    var isMapFull: Bool { code == MDB_MAP_FULL }
    var isMapResized: Bool { code == MDB_MAP_RESIZED }
    var isCorruption: Bool {
        code == MDB_CORRUPTED || code == MDB_INVALID || code == MDB_PANIC || code == MDB_VERSION_MISMATCH
    }

    var description: String {
        let message = String(cString: mdb_strerror(code))
        return "LMDB \(operation) failed on \(path): \(message) (code \(code))"
    }
}

/// Named databases of a store index (see docs/FORMAT.md).
enum IndexTable: String, CaseIterable {
    case meta, chunks, docs, rowdoc, texts, sources, cursor
}

private enum MapRetry { case grow, adopt }

final class LMDBEnvironment: @unchecked Sendable {
    let path: String
    let readOnly: Bool
    private(set) var env: OpaquePointer?
    private var tables: [IndexTable: MDB_dbi] = [:]
    /// Transactions hold it shared; changing the map size holds it exclusively, because
    /// LMDB allows that only while no transaction of this process is active.
    private var gate = pthread_rwlock_t()

    /// Map size a new environment starts with; the map doubles from there on MDB_MAP_FULL.
    /// Internal so tests can start tiny and drive the growth path cheaply.
    nonisolated(unsafe) static var initialMapBytes = 64 << 20

    private static let registryLock = NSLock()
    nonisolated(unsafe) private static var registry: [String: WeakEnvironment] = [:]
    private struct WeakEnvironment { weak var environment: LMDBEnvironment? }

    /// One environment per directory per process: LMDB forbids opening the same
    /// environment twice in a process (closing one handle drops the other's locks), and
    /// a reader and a writer of one store often live in the same process. Environments are
    /// opened read-write (a reader never writes, but may share the handle with a writer)
    /// and fall back to read-only where the files are not writable. `create` makes the
    /// named tables when they are missing.
    static func shared(path: String, create: Bool) throws -> LMDBEnvironment {
        let key = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        registryLock.lock(); defer { registryLock.unlock() }
        if let existing = registry[key]?.environment { return existing }
        let environment: LMDBEnvironment
        do {
            environment = try LMDBEnvironment(path: path, readOnly: false, create: create)
        } catch let error as LMDBError where error.code == EACCES || error.code == EROFS {
            environment = try LMDBEnvironment(path: path, readOnly: true, create: false)
        }
        registry[key] = WeakEnvironment(environment: environment)
        return environment
    }

    private init(path: String, readOnly: Bool, create: Bool) throws {
        pthread_rwlock_init(&gate, nil)
        self.path = path
        self.readOnly = readOnly
        var handle: OpaquePointer?
        try check(mdb_env_create(&handle), "env_create")
        env = handle
        do {
            try check(mdb_env_set_maxdbs(handle, MDB_dbi(IndexTable.allCases.count + 2)), "env_set_maxdbs")
            try check(mdb_env_set_maxreaders(handle, 512), "env_set_maxreaders")
            if !readOnly {
                try check(mdb_env_set_mapsize(handle, Self.initialMapBytes), "env_set_mapsize")
            }
            var flags = UInt32(MDB_NOTLS) | UInt32(MDB_NORDAHEAD)
            if readOnly { flags |= UInt32(MDB_RDONLY) }
            try Self.checkDataFileLength(directory: path)
            try check(mdb_env_open(handle, path, flags, 0o644), "env_open")
            // Adopt the size another writer last grew the map to.
            if !readOnly { try check(mdb_env_set_mapsize(handle, 0), "env_set_mapsize") }
            try openTables(create: create)
        } catch {
            mdb_env_close(handle)
            env = nil
            throw error
        }
    }

    /// Refuses a data.mdb shorter than its newest meta page says it is. LMDB maps the file and
    /// trusts it: a page past the end of a truncated copy is a SIGBUS in the reader, not an
    /// error. LMDB writes the data pages before the meta page that counts them, so a whole file
    /// is never shorter than (last page + 1) x page size. Layout (lmdb mdb.c, 64-bit): a 16-byte
    /// page header, then MDB_meta: magic u32 at 16, the free DB's md_pad (= page size) at 40,
    /// mm_last_pg at 136, mm_txnid at 144; meta pages 0 and 1, the newer txnid wins.
    static func checkDataFileLength(directory: String) throws {
        let path = directory + "/data.mdb"
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }  // a new environment, or unreadable: mdb_env_open reports it
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { return }
        let fileByteCount = Int(status.st_size)
        func meta(at byteOffset: Int) -> (pageBytes: Int, lastPage: UInt64, txnid: UInt64)? {
            var bytes = [UInt8](repeating: 0, count: 152)
            guard pread(fd, &bytes, 152, off_t(byteOffset)) == 152 else { return nil }
            func u32(_ at: Int) -> UInt32 { bytes[at..<at + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
            func u64(_ at: Int) -> UInt64 { bytes[at..<at + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) } }
            guard u32(16) == 0xBEEF_C0DE else { return nil }
            return (Int(u32(40)), u64(136), u64(144))
        }
        // Too short or foreign magic: left to mdb_env_open, which reports MDB_INVALID.
        guard let first = meta(at: 0), (512...(1 << 16)).contains(first.pageBytes) else { return }
        let newest = [first, meta(at: first.pageBytes)].compactMap { $0 }.max { $0.txnid < $1.txnid }!
        let (needed, overflow) = (newest.lastPage &+ 1).multipliedReportingOverflow(by: UInt64(first.pageBytes))
        if overflow || needed > UInt64(fileByteCount) {
            throw LMDBError(code: MDB_CORRUPTED, operation: "open (data.mdb is \(fileByteCount) bytes, its meta page counts \(overflow ? "more than 2^64" : "\(needed)") bytes of pages: a truncated copy?)", path: path)
        }
    }

    deinit {
        if let env { mdb_env_close(env) }
        pthread_rwlock_destroy(&gate)
    }

    private func openTables(create: Bool) throws {
        // Handles opened in a transaction survive only if it commits, read-only or not.
        try withTransaction(write: create, commitReadOnly: true) { txn in
            for table in IndexTable.allCases {
                var dbi: MDB_dbi = 0
                let flags: UInt32 = create ? UInt32(MDB_CREATE) : 0
                try check(mdb_dbi_open(txn.handle, table.rawValue, flags, &dbi), "dbi_open(\(table.rawValue))")
                tables[table] = dbi
            }
        }
    }

    func dbi(_ table: IndexTable) -> MDB_dbi {
        guard let dbi = tables[table] else { preconditionFailure("LMDB table \(table) not opened") }
        return dbi
    }

    /// Runs `body` in a transaction, committing on success and aborting on error. A write
    /// that fills the map grows it (x2) and runs `body` again from the start, so `body`
    /// must only write what it is given (it is replayed, not resumed).
    func withTransaction<R>(write: Bool, commitReadOnly: Bool = false, _ body: (LMDBTransaction) throws -> R) throws -> R {
        while true {
            pthread_rwlock_rdlock(&gate)
            var retry: MapRetry?
            var outcome: Result<R, Error>?
            var txnHandle: OpaquePointer?
            let flags: UInt32 = write ? 0 : UInt32(MDB_RDONLY)
            let begin = mdb_txn_begin(env, nil, flags, &txnHandle)
            if begin == MDB_MAP_RESIZED {
                retry = .adopt
            } else if begin != 0 {
                outcome = .failure(LMDBError(code: begin, operation: "txn_begin", path: path))
            } else {
                let txn = LMDBTransaction(environment: self, handle: txnHandle!)
                do {
                    let result = try body(txn)
                    if write || commitReadOnly {
                        let rc = mdb_txn_commit(txnHandle)
                        if rc == MDB_MAP_FULL {
                            retry = .grow
                        } else if rc != 0 {
                            outcome = .failure(LMDBError(code: rc, operation: "txn_commit", path: path))
                        } else {
                            outcome = .success(result)
                        }
                    } else {
                        mdb_txn_abort(txnHandle)
                        outcome = .success(result)
                    }
                } catch let error as LMDBError where error.isMapFull {
                    mdb_txn_abort(txnHandle)
                    retry = .grow
                } catch {
                    mdb_txn_abort(txnHandle)
                    outcome = .failure(error)
                }
            }
            pthread_rwlock_unlock(&gate)
            if let outcome { return try outcome.get() }
            pthread_rwlock_wrlock(&gate)
            defer { pthread_rwlock_unlock(&gate) }
            if retry == .grow {
                var info = MDB_envinfo()
                try check(mdb_env_info(env, &info), "env_info")
                try check(mdb_env_set_mapsize(env, max(info.me_mapsize * 2, Self.initialMapBytes)), "env_set_mapsize(grow)")
                mapGrowthCount += 1
            } else {
                try check(mdb_env_set_mapsize(env, 0), "env_set_mapsize(adopt)")
            }
        }
    }

    /// Times this handle grew the map (a store's index reports it for tests and diagnostics).
    private(set) var mapGrowthCount = 0

    func mapSizeBytes() -> Int {
        var info = MDB_envinfo()
        _ = mdb_env_info(env, &info)
        return info.me_mapsize
    }

    func check(_ code: Int32, _ operation: String) throws {
        if code != 0 { throw LMDBError(code: code, operation: operation, path: path) }
    }
}

/// A live transaction; valid only inside `withTransaction`'s closure.
struct LMDBTransaction {
    let environment: LMDBEnvironment
    let handle: OpaquePointer

    /// The value stored under `key`, copied out (LMDB's pointer dies with the transaction).
    func get(_ table: IndexTable, _ key: [UInt8]) throws -> [UInt8]? {
        var keyBytes = key
        return try keyBytes.withUnsafeMutableBytes { keyBuffer in
            var k = MDB_val(mv_size: keyBuffer.count, mv_data: keyBuffer.baseAddress)
            var v = MDB_val()
            let rc = mdb_get(handle, environment.dbi(table), &k, &v)
            if rc == MDB_NOTFOUND { return nil }
            try environment.check(rc, "get(\(table.rawValue))")
            return try copy(v)
        }
    }

    func put(_ table: IndexTable, _ key: [UInt8], _ value: [UInt8]) throws {
        var keyBytes = key
        var valueBytes = value
        try keyBytes.withUnsafeMutableBytes { keyBuffer in
            try valueBytes.withUnsafeMutableBytes { valueBuffer in
                var k = MDB_val(mv_size: keyBuffer.count, mv_data: keyBuffer.baseAddress)
                var v = MDB_val(mv_size: valueBuffer.count, mv_data: valueBuffer.baseAddress)
                try environment.check(mdb_put(handle, environment.dbi(table), &k, &v, 0), "put(\(table.rawValue))")
            }
        }
    }

    func delete(_ table: IndexTable, _ key: [UInt8]) throws {
        var keyBytes = key
        try keyBytes.withUnsafeMutableBytes { keyBuffer in
            var k = MDB_val(mv_size: keyBuffer.count, mv_data: keyBuffer.baseAddress)
            let rc = mdb_del(handle, environment.dbi(table), &k, nil)
            if rc != MDB_NOTFOUND { try environment.check(rc, "del(\(table.rawValue))") }
        }
    }

    func entryCount(_ table: IndexTable) throws -> Int {
        var stat = MDB_stat()
        try environment.check(mdb_stat(handle, environment.dbi(table), &stat), "stat(\(table.rawValue))")
        return stat.ms_entries
    }

    /// The entry with the greatest key <= `key` (for "which doc holds this row" lookups).
    func floorEntry(_ table: IndexTable, _ key: [UInt8]) throws -> (key: [UInt8], value: [UInt8])? {
        try withCursor(table) { cursor in
            var keyBytes = key
            return try keyBytes.withUnsafeMutableBytes { keyBuffer in
                var k = MDB_val(mv_size: keyBuffer.count, mv_data: keyBuffer.baseAddress)
                var v = MDB_val()
                var rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE)
                if rc == 0, try copy(k) == key { return (try copy(k), try copy(v)) }
                if rc == MDB_NOTFOUND {
                    rc = mdb_cursor_get(cursor, &k, &v, MDB_LAST)
                } else {
                    try environment.check(rc, "cursor_get(set_range,\(table.rawValue))")
                    rc = mdb_cursor_get(cursor, &k, &v, MDB_PREV)
                }
                if rc == MDB_NOTFOUND { return nil }
                try environment.check(rc, "cursor_get(prev,\(table.rawValue))")
                return (try copy(k), try copy(v))
            }
        }
    }

    /// Visits entries in key order starting at the first key >= `from` (all when nil) until
    /// `body` returns false.
    func scan(_ table: IndexTable, from: [UInt8]? = nil,
              _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool) throws {
        try withCursor(table) { cursor in
            var k = MDB_val()
            var v = MDB_val()
            var startKey = from ?? []
            var rc: Int32 = startKey.withUnsafeMutableBytes { keyBuffer in
                if from != nil {
                    k = MDB_val(mv_size: keyBuffer.count, mv_data: keyBuffer.baseAddress)
                    return mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE)
                }
                return mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
            }
            while rc == 0 {
                let keep = try body(try bytes(k), try bytes(v))
                if !keep { return }
                rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)
            }
            if rc != MDB_NOTFOUND { try environment.check(rc, "cursor_get(next,\(table.rawValue))") }
        }
    }

    private func withCursor<R>(_ table: IndexTable, _ body: (OpaquePointer) throws -> R) throws -> R {
        var cursor: OpaquePointer?
        try environment.check(mdb_cursor_open(handle, environment.dbi(table), &cursor), "cursor_open(\(table.rawValue))")
        defer { mdb_cursor_close(cursor) }
        return try body(cursor!)
    }

    /// The bytes LMDB points at, refused when they are longer than the whole map. LMDB has no
    /// page checksums: in a damaged data.mdb a node's size can say 4 GB, and copying it would run
    /// out of memory (found by fuzz/store). LMDB does not expose the map's address without
    /// MDB_FIXEDMAP, so a damaged pointer is not caught here, and damage LMDB itself trips over
    /// still crashes inside LMDB (docs/RELIABILITY.md).
    private func bytes(_ value: MDB_val) throws -> UnsafeRawBufferPointer {
        guard value.mv_size > 0, let data = value.mv_data else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        var info = MDB_envinfo()
        try environment.check(mdb_env_info(environment.env, &info), "env_info")
        guard value.mv_size <= info.me_mapsize else {
            throw LMDBError(code: MDB_CORRUPTED, operation: "read (a record says it is \(value.mv_size) bytes, more than the \(info.me_mapsize)-byte map)",
                            path: environment.path)
        }
        return UnsafeRawBufferPointer(start: data, count: value.mv_size)
    }

    private func copy(_ value: MDB_val) throws -> [UInt8] {
        Array(try bytes(value))
    }
}
