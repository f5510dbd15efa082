import TensorIO
import Foundation
import XCTest
@testable import ActStore

/// Everything a store holds that an append could change: the committed state, manifest and
/// cursor, every committed segment byte (the tail segment up to its committed length; bytes
/// after it are an interrupted writer's, cut off by the next), and every chunk record.
struct StoreSnapshot: Equatable {
    var state: CommitState
    var manifest: StoreManifest
    var cursor: [String: [UInt8]]
    var segments: [Int: [UInt8]]
    var records: [[ChunkRecord]]

    init(_ store: String) throws {
        let (env, manifest, state) = try StoreDirectory.openIndex(store, readOnly: true)
        self.state = state
        self.manifest = manifest
        cursor = try StoreDirectory.readCursor(env, store: store)
        segments = [:]
        for segment in StoreDirectory.segmentNumbers(store) where segment <= state.tailSegment {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: SegmentFile.path(store: store, segment: segment))))
            segments[segment] = segment == state.tailSegment ? Array(bytes.prefix(state.tailSegmentByteCount)) : bytes
        }
        let reader = try StoreReader(path: store)
        records = try reader.columns.map { try reader.chunkRecords(column: $0.name) }
    }
}

/// Writes (rows, width) f32 values as a .npy file.
func writeNPY(_ path: String, _ values: [Float], width: Int) throws {
    let writer = try NPYWriter(path: path, rowCount: values.count / width, width: width, dtype: .f32)
    try writer.append(rows: values)
    try writer.finish()
}

/// Rows `rows` of (·, width) values.
func slice(_ values: [Float], rows: Range<Int>, width: Int) -> [Float] {
    Array(values[rows.lowerBound * width..<rows.upperBound * width])
}

/// A column exported as .npy, byte for byte.
func exportedBytes(_ store: String, column: String, scratch: String) throws -> Data {
    let out = scratch + "/export-\(UUID().uuidString.prefix(8)).npy"
    try ColumnTransfer.exportColumn(store: store, column: column, to: out)
    defer { try? FileManager.default.removeItem(atPath: out) }
    return try Data(contentsOf: URL(fileURLWithPath: out))
}

/// The parts of one chunk record that do not depend on where its bytes sit in a segment.
struct ChunkContent: Equatable {
    var firstRow, rowCount, compressedByteCount, rawByteCount: Int
    var checksum: UInt32

    init(_ record: ChunkRecord) {
        firstRow = record.firstRow
        rowCount = record.rowCount
        compressedByteCount = record.compressedByteCount
        rawByteCount = record.rawByteCount
        checksum = record.checksum
    }
}

func chunkContents(_ store: String, column: String) throws -> [ChunkContent] {
    try StoreReader(path: store).chunkRecords(column: column).map(ChunkContent.init)
}
