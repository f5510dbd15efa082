// libFuzzer target: a whole store directory. A small seed store (two segments, three commits,
// documents with texts) is written once per process; each input is a list of edits applied to
// a fresh copy of its files, then the copy is opened, verified and read in full: every column's
// rows, every document record, text, source name and row -> document lookup.
//
// Input: 6-byte edits [kind u8][byte offset u32 LE][value u8]; kind % 4 picks
//   0: XOR a byte of a segment file (kind / 4 picks the segment)
//   1: XOR a byte of index/data.mdb (only with FUZZ_STORE_INDEX_BYTES=1, see below)
//   2: truncate a segment file (to offset % (size + 1))
//   3: truncate index/data.mdb to a whole number of 4 KiB pages (offset % page count)
// Expectations: every failure is a StoreError; nothing traps. And when only segment bytes were
// edited and `verify` calls the store sound, every read succeeds and returns the seed's data
// (the CRC-32C and zstd checksums must catch any change that matters).
//
// Byte damage inside data.mdb is off by default: LMDB has no page checksums and follows the
// page numbers and value pointers it finds, so a flipped byte there crashes inside LMDB (or in
// the copy of a value it points past the file) within seconds (docs/RELIABILITY.md). A
// truncated data.mdb, the usual damage of an interrupted copy, is caught before LMDB maps it.
import Foundation

private let scratch = FuzzScratch.path(suffix: "store")
private let work = scratch + "/work"

private struct Seed {
    var files: [String: [UInt8]]  // relative path -> bytes
    var floats: [Float]
    var integers: [String: [UInt64]]
    var texts: [String?]
}

private let seed: Seed = {
    let path = scratch + "/seed"
    try? FileManager.default.removeItem(atPath: scratch)
    try! FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    // ~100 KB of f32 rows against the smallest segment target (64 KiB): two segments.
    let width = 48
    let columns = TokenColumn.all + [ColumnSpec(name: "blocks.0.hook_resid_pre", width: width, codec: .f32)]
    let manifest = StoreManifest(columns: columns, chunkRows: 16, segmentTargetBytes: 64 << 10, hasDocuments: true, model: "fuzz")
    let writer = try! StoreWriter.create(at: path, manifest: manifest)
    var rng = SplitMix64(state: 7)
    for doc in 0..<48 {
        let count = 1 + Int(rng.next() % 20)
        var text = "", starts: [UInt32] = [], ends: [UInt32] = []
        for t in 0..<count {
            starts.append(UInt32(text.utf8.count))
            text += t % 5 == 2 ? " é\(t)" : " w\(rng.next() % 100)"
            ends.append(UInt32(text.utf8.count))
        }
        try! writer.append(DocumentRows(
            text: text, source: "src-\(doc % 2)", sourceIndex: doc, tokenIDs: (0..<count).map { _ in UInt32(rng.next() % 50257) },
            positions: (0..<count).map(UInt32.init), byteStarts: starts, byteEnds: ends,
            activations: ["blocks.0.hook_resid_pre": (0..<(count * width)).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0xBFFF_FFFF) }]))
        if doc % 16 == 15 { try! writer.commit(cursor: ["src-\(doc % 2)": [UInt8(doc)]]) }
    }
    var files: [String: [UInt8]] = [:]
    for name in try! FileManager.default.subpathsOfDirectory(atPath: path) where name.hasSuffix(".seg") || name.hasSuffix("data.mdb") {
        files[name] = [UInt8](FileManager.default.contents(atPath: path + "/" + name)!)
    }
    let reader = try! StoreReader(path: path)
    var floats: [Float] = []
    try! reader.readRows(column: "blocks.0.hook_resid_pre", rows: 0..<reader.rowCount, into: &floats)
    var integers: [String: [UInt64]] = [:]
    for column in TokenColumn.all { integers[column.name] = try! reader.readIntegers(column: column.name, rows: 0..<reader.rowCount) }
    let texts = (0..<reader.documentCount).map { try! reader.text(ofDocument: $0) }
    return Seed(files: files, floats: floats, integers: integers, texts: texts)
}()

private let segmentNames = seed.files.keys.filter { $0.hasSuffix(".seg") }.sorted()
private let indexName = seed.files.keys.first { $0.hasSuffix("data.mdb") }!
private let editsIndexBytes = getenv("FUZZ_STORE_INDEX_BYTES").map { String(cString: $0) == "1" } ?? false

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    var files = seed.files
    var indexEdited = false
    for e in stride(from: 0, to: input.count - 5, by: 6) {
        let kind = Int(input[e])
        let offset = Int(input[e + 1]) | Int(input[e + 2]) << 8 | Int(input[e + 3]) << 16 | Int(input[e + 4]) << 24
        let value = input[e + 5] == 0 ? 0xFF : input[e + 5]
        let segment = segmentNames[(kind / 4) % segmentNames.count]
        switch kind % 4 {
        case 0: if !files[segment]!.isEmpty { files[segment]![offset % files[segment]!.count] ^= value }
        case 1:
            guard editsIndexBytes, !files[indexName]!.isEmpty else { continue }
            files[indexName]![offset % files[indexName]!.count] ^= value
            indexEdited = true
        case 2: files[segment] = Array(files[segment]!.prefix(offset % (files[segment]!.count + 1)))
        default:
            let pages = files[indexName]!.count / 4096
            files[indexName] = Array(files[indexName]!.prefix((offset % (pages + 1)) * 4096))
            indexEdited = true
        }
    }
    try? FileManager.default.removeItem(atPath: work)
    for (name, bytes) in files {
        let path = work + "/" + name
        try! FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        bytes.withUnsafeBufferPointer { FuzzScratch.write($0, to: path) }
    }

    let report = StoreVerifier.verify(path: work)
    let expectIntact = report.isSound && !indexEdited
    do {
        let reader = try StoreReader(path: work)
        var floats: [Float] = []
        try reader.readRows(column: "blocks.0.hook_resid_pre", rows: 0..<reader.rowCount, into: &floats)
        var integers: [String: [UInt64]] = [:]
        for column in TokenColumn.all { integers[column.name] = try reader.readIntegers(column: column.name, rows: 0..<reader.rowCount) }
        var texts: [String?] = []
        for doc in 0..<reader.documentCount {
            let record = try reader.document(doc)
            _ = try reader.sourceName(record.sourceID)
            if record.tokenCount > 0, record.firstRow < reader.rowCount { _ = try reader.documentID(containing: record.firstRow) }
            texts.append(try reader.text(ofDocument: doc))
        }
        if expectIntact {
            precondition(floats.elementsEqual(seed.floats, by: { $0.bitPattern == $1.bitPattern }), "verify passed but activations changed")
            precondition(integers == seed.integers, "verify passed but token columns changed")
            precondition(texts == seed.texts, "verify passed but texts changed")
        }
    } catch is StoreError {
        precondition(!expectIntact, "verify passed but reading failed")
    } catch {
        fatalError("the store threw an untyped error: \(error)")
    }
    return 0
}
