import ActStore
import Foundation
import SAELoading
import StreamTrain

extension FeaturePostingsFile {
    /// Writes DIR/results.postings for a finished scan: one more pass over the scanned rows
    /// through the same SAE (`tables.fireCounts` size every feature's list in advance, so each
    /// firing is written straight to its place; memory is one batch and a small buffer per
    /// feature), then each feature's list sorted strongest first. Written to a temporary name
    /// and renamed, so a postings file is always whole. Throws if the pass sees other firing
    /// counts than the scan (the store changed in between).
    public static func write(reader: any StoreReading, sae fullSAE: SparseAutoencoder, config: FeatureScanConfig, tables: FeatureTables,
                             to url: URL, progress: (Int) -> Void = { _ in }) throws {
        let F = tables.featureCount
        // The encoder the scan ran (FeatureScanner.scan): a ReLU SAE sliced to the chosen
        // features, so the activations written are the scan's to the bit.
        let sliced = config.features != nil && fullSAE.architecture != .topk
        let sae = sliced ? try FeatureScanner.slice(fullSAE, tables.featureIDs) : fullSAE
        var offsets = [Int](repeating: 0, count: F + 1)
        for f in 0..<F { offsets[f + 1] = offsets[f] + tables.fireCounts[f] }
        let total = offsets[F]
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
        _ = FileManager.default.createFile(atPath: temporary.path, contents: nil)
        // Read and write: the sort pass reads each feature's list back.
        let handle = try FileHandle(forUpdating: temporary)
        var header: [UInt8] = magic
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { header += $0 } }
        put(formatVersion)
        put(UInt32(postingByteCount))
        put(UInt64(F))
        put(UInt64(total))
        for offset in offsets { put(UInt64(offset)) }
        try handle.write(contentsOf: header)
        let base = header.count
        let fileSize = base + total * postingByteCount
        try handle.truncate(atOffset: UInt64(fileSize))

        // SAE latent → local feature (-1: not in the results).
        var localOf = [Int](repeating: -1, count: sae.dSAE)
        for (f, id) in tables.featureIDs.enumerated() { localOf[sliced ? f : id] = f }
        var written = [Int](repeating: 0, count: F)
        var buffers = [[UInt8]](repeating: [], count: F)
        let flushBytes = 256 * postingByteCount
        func flush(_ f: Int) throws {
            guard !buffers[f].isEmpty else { return }
            let count = buffers[f].count / postingByteCount
            try handle.seek(toOffset: UInt64(base + (offsets[f] + written[f] - count) * postingByteCount))
            try handle.write(contentsOf: buffers[f])
            buffers[f].removeAll(keepingCapacity: true)
        }

        let first = config.firstRow ?? 0, end = config.endRow ?? reader.rowCount
        let loader = StreamLoaderConfig(column: config.column, firstRow: first, endRow: end, shuffleBufferRows: 1,
                                        workerCount: config.workerCount, prefetchChunks: 2 * config.workerCount + 1,
                                        minimumPosition: config.minimumPosition ?? 0, shuffle: false)
        let source = try StoreBatchSource(reader: reader, config: loader)
        var encoder = SAEEncoder(sae: sae, maxRowCount: config.batchRows)
        let width = try reader.spec(config.column).width
        var batch = [Float](repeating: 0, count: config.batchRows * width)
        var acts: [Float] = []
        let H = sae.dSAE
        var done = 0
        func changed(_ detail: String) -> FeaturesError {
            .invalidArgument("\(reader.path): \(detail) while writing \(url.path) (did the store change during the scan?)")
        }
        while true {
            let n = try source.nextBatch(into: &batch, maxRowCount: config.batchRows)
            if n == 0 { break }
            let rows = source.lastBatchRows
            let lowest = rows.min()!, highest = rows.max()!
            let tokenIDs = try reader.readIntegers(column: TokenColumn.tokenID, rows: lowest..<highest + 1)
            encoder.encode(batch, rowCount: n, into: &acts)
            for b in 0..<n {
                let token = UInt32(truncatingIfNeeded: tokenIDs[rows[b] - lowest])
                for j in 0..<H where acts[b * H + j] > 0 {
                    let f = localOf[j]
                    if f < 0 { continue }
                    guard written[f] < tables.fireCounts[f] else { throw changed("feature \(tables.featureIDs[f]) fires more often than the scan counted (\(tables.fireCounts[f]))") }
                    withUnsafeBytes(of: UInt64(rows[b]).littleEndian) { buffers[f] += $0 }
                    withUnsafeBytes(of: acts[b * H + j].bitPattern.littleEndian) { buffers[f] += $0 }
                    withUnsafeBytes(of: token.littleEndian) { buffers[f] += $0 }
                    written[f] += 1
                    if buffers[f].count >= flushBytes { try flush(f) }
                }
            }
            done += n
            progress(done)
        }
        for f in 0..<F { try flush(f) }
        if let f = (0..<F).first(where: { written[$0] != tables.fireCounts[$0] }) {
            throw changed("feature \(tables.featureIDs[f]) fired \(written[f]) times, the scan counted \(tables.fireCounts[f])")
        }
        // Strongest first within each feature (rows arrived ascending; the sort breaks ties by row).
        for f in 0..<F where tables.fireCounts[f] > 1 {
            let at = UInt64(base + offsets[f] * postingByteCount)
            try handle.seek(toOffset: at)
            let bytes = try handle.read(upToCount: tables.fireCounts[f] * postingByteCount) ?? Data()
            var list = bytes.withUnsafeBytes { raw in
                (0..<tables.fireCounts[f]).map { i in
                    FeaturePosting(row: Int(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * postingByteCount, as: UInt64.self))),
                                   activation: Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * postingByteCount + 8, as: UInt32.self))),
                                   tokenID: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * postingByteCount + 12, as: UInt32.self)))
                }
            }
            list.sort { $0.activation != $1.activation ? $0.activation > $1.activation : $0.row < $1.row }
            var out: [UInt8] = []
            out.reserveCapacity(list.count * postingByteCount)
            for p in list {
                withUnsafeBytes(of: UInt64(p.row).littleEndian) { out += $0 }
                withUnsafeBytes(of: p.activation.bitPattern.littleEndian) { out += $0 }
                withUnsafeBytes(of: p.tokenID.littleEndian) { out += $0 }
            }
            try handle.seek(toOffset: at)
            try handle.write(contentsOf: out)
        }
        try handle.synchronize()
        try handle.close()
        _ = try? FileManager.default.removeItem(at: url)
        try FileManager.default.moveItem(at: temporary, to: url)
    }
}
