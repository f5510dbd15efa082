import Foundation

/// What `verify` found: every problem with its exact place, and how much was checked.
public struct VerifyReport: Codable, Sendable {
    /// The directory verified.
    public var path: String
    /// Each problem found, naming its place (column, chunk, row, document, segment, shard); only
    /// the first 200 are kept.
    public var problems: [String] = []
    /// Chunks read, checksummed and decoded, counting each column's chunks (columns × chunks when
    /// done).
    public var chunksChecked = 0
    /// Document records checked against the rowdoc, sources and texts tables (0 for bare rows).
    public var documentsChecked = 0
    /// Rows covered by the chunks checked: the end row of the last chunk checked.
    public var rowsChecked = 0
    /// Bytes after the committed end of the tail segment (left by an interrupted writer;
    /// harmless, cut off by the next writer).
    public var uncommittedTailBytes = 0
    /// Whether no problem was found (leftover uncommitted tail bytes are not a problem).
    public var isSound: Bool { problems.isEmpty }

    mutating func add(_ problem: String) {
        if problems.count < StoreVerifier.problemLimit { problems.append(problem) }
    }
}

/// Reads and checks every chunk and every index record of a store.
public enum StoreVerifier {
    static let problemLimit = 200

    /// A sharded store: the manifest and the shards' agreement (opening the union checks them),
    /// then every shard verified in full; each problem names its shard.
    static func verifyShards(path: String, progress: ((_ chunksDone: Int, _ chunksTotal: Int) -> Void)?) -> VerifyReport {
        var report = VerifyReport(path: path)
        let manifest: ShardManifest
        do {
            manifest = try ShardManifest.load(directory: path)
            _ = try UnionStoreReader(directory: path)
        } catch {
            report.add("\(error)")
            return report
        }
        for (k, entry) in manifest.shards.enumerated() {
            let shardPath = ShardManifest.resolve(entry.path, in: path)
            let shard = verify(path: shardPath) { done, total in progress?(done, total) }
            for problem in shard.problems { report.add("shard \(k) (\(shardPath)): \(problem)") }
            report.chunksChecked += shard.chunksChecked
            report.documentsChecked += shard.documentsChecked
            report.rowsChecked += shard.rowsChecked
            report.uncommittedTailBytes += shard.uncommittedTailBytes
        }
        return report
    }

    /// Checks the whole store (docs/FORMAT.md, "Checks on open and read"): segment headers and the
    /// committed tail length, chunk records aligned across columns and covering every row, every
    /// chunk's CRC-32C and zstd checks, every document record, rowdoc entry, source name and text,
    /// and `doc_id` and `byte_end` against the documents. A sharded store: its manifest, then each
    /// shard in full. Never throws: a store that cannot be opened gives a report holding that one
    /// problem. `progress` is called after each chunk with chunks done and the total; for a sharded
    /// store both count within the current shard and start again with each shard.
    public static func verify(path: String, progress: ((_ chunksDone: Int, _ chunksTotal: Int) -> Void)? = nil) -> VerifyReport {
        if ShardManifest.isShardedStore(path) {
            return verifyShards(path: path, progress: progress)
        }
        var report = VerifyReport(path: path)
        let reader: StoreReader
        do {
            reader = try StoreReader(path: path)
        } catch {
            report.add("\(error)")
            return report
        }
        let state: CommitState
        do {
            let (_, _, s) = try StoreDirectory.openIndex(path, readOnly: true)
            state = s
        } catch {
            report.add("\(error)")
            return report
        }
        checkSegments(path: path, state: state, report: &report)

        // Chunk records: aligned across columns, contiguous, covering every row.
        let columns = reader.columns
        var chunkRanges: [Range<Int>] = []
        for (index, spec) in columns.enumerated() {
            do {
                let records = try reader.records(column: index)
                var next = 0
                for (chunk, record) in records.enumerated() {
                    let rows = record.firstRow..<record.firstRow + record.rowCount
                    if index == 0 {
                        if rows.lowerBound != next || rows.isEmpty {
                            report.add("column \(spec.name) chunk \(chunk): rows \(rows), expected to start at \(next)")
                        }
                        chunkRanges.append(rows)
                    } else if chunk < chunkRanges.count && chunkRanges[chunk] != rows {
                        report.add("column \(spec.name) chunk \(chunk): rows \(rows), but column \(columns[0].name) chunk \(chunk) has \(chunkRanges[chunk])")
                    }
                    next = rows.upperBound
                }
                if next != state.rowCount {
                    report.add("column \(spec.name): chunks cover \(next) rows, the commit state says \(state.rowCount)")
                }
            } catch {
                report.add("\(error)")
            }
        }

        // Every chunk decodes and passes its checksums.
        let decoder = reader.makeDecoder()
        let total = columns.count * state.chunkCount
        var floats: [Float] = []
        var integers: [UInt64] = []
        var docIDs: [UInt64] = []
        var byteEnds: [UInt64] = []
        var docTextBytes: [Int] = []
        var docRanges: [Range<Int>] = []
        if reader.manifest.hasDocuments {
            checkDocuments(reader: reader, state: state, report: &report, ranges: &docRanges, textBytes: &docTextBytes)
        }
        for chunk in 0..<state.chunkCount {
            for (index, spec) in columns.enumerated() {
                do {
                    if spec.codec.isFloat {
                        try decoder.decode(reader: reader, column: index, chunk: chunk, floats: &floats)
                    } else {
                        try decoder.decode(reader: reader, column: index, chunk: chunk, integers: &integers)
                        if spec.name == TokenColumn.docID { docIDs = integers }
                        if spec.name == TokenColumn.byteEnd { byteEnds = integers }
                    }
                } catch {
                    report.add("\(error)")
                    if spec.name == TokenColumn.docID { docIDs = [] }
                    if spec.name == TokenColumn.byteEnd { byteEnds = [] }
                }
                report.chunksChecked += 1
                progress?(report.chunksChecked, total)
            }
            // Rows agree with the document table: doc ids and spans within the text.
            if reader.manifest.hasDocuments, chunk < chunkRanges.count, !docRanges.isEmpty {
                let rows = chunkRanges[chunk]
                var doc = docIndex(containing: rows.lowerBound, in: docRanges)
                for (offset, row) in rows.enumerated() {
                    while doc < docRanges.count - 1 && !docRanges[doc].contains(row) { doc += 1 }
                    if offset < docIDs.count, docIDs[offset] != UInt64(doc) {
                        report.add("row \(row): doc_id column says \(docIDs[offset]), the document table says \(doc)")
                        break
                    }
                    if offset < byteEnds.count, doc < docTextBytes.count, byteEnds[offset] > UInt64(docTextBytes[doc]) {
                        report.add("row \(row): byte_end \(byteEnds[offset]) is past document \(doc)'s \(docTextBytes[doc])-byte text")
                        break
                    }
                }
            }
            report.rowsChecked = chunk < chunkRanges.count ? chunkRanges[chunk].upperBound : report.rowsChecked
        }
        return report
    }

    private static func docIndex(containing row: Int, in ranges: [Range<Int>]) -> Int {
        var lo = 0, hi = ranges.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if ranges[mid].lowerBound <= row { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    private static func checkSegments(path: String, state: CommitState, report: inout VerifyReport) {
        let present = StoreDirectory.segmentNumbers(path)
        for segment in 0...state.tailSegment {
            let segmentPath = SegmentFile.path(store: path, segment: segment)
            guard present.contains(segment) else {
                if segment < state.tailSegment || state.tailSegmentByteCount > 0 { report.add("segment \(segmentPath) is missing") }
                continue
            }
            guard let mapping = try? SegmentMapping(path: segmentPath) else {
                report.add("segment \(segmentPath) cannot be opened")
                continue
            }
            if mapping.byteCount < SegmentFile.headerByteCount {
                // A writer killed between creating the tail segment and writing its header leaves
                // a short file in which nothing is committed: debris the next writer rewrites, as
                // a missing tail segment with nothing committed is above.
                if segment == state.tailSegment && state.tailSegmentByteCount == 0 { continue }
                report.add("segment \(segmentPath) is \(mapping.byteCount) bytes, shorter than its header")
                continue
            }
            let header = mapping.withBytes(0..<SegmentFile.headerByteCount) { Array($0) }
            if header != SegmentFile.header(segment: segment) {
                report.add("segment \(segmentPath): header is not a saestore segment \(segment) header")
            }
            if segment == state.tailSegment {
                if mapping.byteCount < state.tailSegmentByteCount {
                    report.add("segment \(segmentPath) is \(mapping.byteCount) bytes, the commit state says \(state.tailSegmentByteCount) are committed (truncated)")
                } else {
                    report.uncommittedTailBytes = mapping.byteCount - state.tailSegmentByteCount
                }
            }
        }
    }

    private static func checkDocuments(reader: StoreReader, state: CommitState, report: inout VerifyReport,
                                       ranges: inout [Range<Int>], textBytes: inout [Int]) {
        var next = 0
        for doc in 0..<state.docCount {
            do {
                let record = try reader.document(doc)
                if record.firstRow != next || record.tokenCount == 0 {
                    report.add("document \(doc): rows \(record.rows), expected to start at row \(next)")
                }
                next = record.rows.upperBound
                ranges.append(record.rows)
                textBytes.append(record.textByteCount)
                if try reader.documentID(containing: record.firstRow) != doc {
                    report.add("document \(doc): the rowdoc table does not map row \(record.firstRow) to it")
                }
                _ = try reader.sourceName(record.sourceID)
                _ = try reader.text(ofDocument: doc)
            } catch {
                report.add("\(error)")
                ranges.append(next..<next)
                textBytes.append(0)
            }
            report.documentsChecked += 1
        }
        if next != state.rowCount {
            report.add("documents cover \(next) rows, the commit state says \(state.rowCount)")
        }
    }
}
