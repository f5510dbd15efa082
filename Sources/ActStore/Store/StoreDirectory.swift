import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Opening and checking a store directory, shared by the reader, the writer and verify.
enum StoreDirectory {
    static func indexPath(_ store: String) -> String { "\(store)/\(StoreFormat.indexDirectory)" }
    static func segmentsPath(_ store: String) -> String { "\(store)/\(StoreFormat.segmentsDirectory)" }

    /// True when `path` holds a committed store (its index has the magic).
    static func holdsStore(_ path: String) -> Bool {
        guard FileManager.default.fileExists(atPath: "\(indexPath(path))/data.mdb") else { return false }
        guard let env = try? LMDBEnvironment.shared(path: indexPath(path), create: false) else { return false }
        let magic = try? env.withTransaction(write: false) { try $0.get(.meta, StoreFormat.MetaKey.magic) }
        return magic == StoreFormat.magic
    }

    /// Opens the index after checking that `path` is a store this build can read.
    static func openIndex(_ path: String, readOnly: Bool) throws -> (LMDBEnvironment, StoreManifest, CommitState) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StoreError.notAStore(path: path, reason: "no such directory")
        }
        guard FileManager.default.fileExists(atPath: "\(indexPath(path))/data.mdb") else {
            throw StoreError.notAStore(path: path, reason: "it has no \(StoreFormat.indexDirectory)/data.mdb")
        }
        let env: LMDBEnvironment
        do {
            env = try LMDBEnvironment.shared(path: indexPath(path), create: false)
        } catch let error as LMDBError {
            if error.isCorruption {
                throw StoreError.corruptIndex(store: path, table: "(environment)", detail: error.description)
            }
            if error.isNotFound {
                throw StoreError.notAStore(path: path, reason: "its index lacks the saestore tables")
            }
            throw StoreError.index(store: path, detail: error.description)
        }
        return try mapIndexErrors(store: path, table: "meta") {
            try env.withTransaction(write: false) { txn in
                guard let magic = try txn.get(.meta, StoreFormat.MetaKey.magic) else {
                    throw StoreError.notAStore(path: path, reason: "its index has no saestore magic (an interrupted create?)")
                }
                guard magic == StoreFormat.magic else {
                    throw StoreError.notAStore(path: path, reason: "its index has a foreign magic")
                }
                guard let versionBytes = try txn.get(.meta, StoreFormat.MetaKey.version), versionBytes.count == 4 else {
                    throw StoreError.corruptIndex(store: path, table: "meta", detail: "format_version missing or not 4 bytes")
                }
                var reader = RecordReader(versionBytes)
                let version = try reader.u32()
                if version > StoreFormat.version {
                    throw StoreError.newerFormat(path: path, found: version, supported: StoreFormat.version)
                }
                guard let manifestBytes = try txn.get(.meta, StoreFormat.MetaKey.manifest) else {
                    throw StoreError.corruptIndex(store: path, table: "meta", detail: "manifest missing")
                }
                let manifest: StoreManifest
                do {
                    manifest = try JSONDecoder().decode(StoreManifest.self, from: Data(manifestBytes))
                } catch {
                    throw StoreError.corruptIndex(store: path, table: "meta", detail: "manifest is not valid JSON: \(error)")
                }
                guard let stateBytes = try txn.get(.meta, StoreFormat.MetaKey.state) else {
                    throw StoreError.corruptIndex(store: path, table: "meta", detail: "commit state missing")
                }
                let state = try CommitState(decoding: stateBytes)
                return (env, manifest, state)
            }
        }
    }

    /// Runs `body`, turning LMDB failures and short records into store errors that name the table.
    static func mapIndexErrors<R>(store: String, table: String, _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as StoreError {
            throw error
        } catch let error as LMDBError {
            if error.isCorruption {
                throw StoreError.corruptIndex(store: store, table: table, detail: error.description)
            }
            throw StoreError.index(store: store, detail: error.description)
        } catch is RecordReader.Short {
            throw StoreError.corruptIndex(store: store, table: table, detail: "a record is shorter than its format, has an unknown version or a count beyond 2^62")
        }
    }

    /// Every source's committed cursor.
    static func readCursor(_ env: LMDBEnvironment, store: String) throws -> [String: [UInt8]] {
        try StoreDirectory.mapIndexErrors(store: store, table: "cursor") {
            try env.withTransaction(write: false) { txn in
                var cursor: [String: [UInt8]] = [:]
                try txn.scan(.cursor) { key, value in
                    cursor[String(decoding: key, as: UTF8.self)] = Array(value)
                    return true
                }
                return cursor
            }
        }
    }

    static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw StoreError.io(path: path, operation: "mkdir", errno: errno)
        }
    }

    /// fsync a directory so a newly created file's entry survives a crash.
    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw StoreError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw StoreError.io(path: path, operation: "fsync", errno: errno) }
    }

    /// Segment numbers present on disk, ascending.
    static func segmentNumbers(_ store: String) -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: segmentsPath(store))) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasSuffix(".seg") else { return nil }
            return Int(name.dropLast(4))
        }.sorted()
    }
}
