import XCTest
@testable import ActStore

/// int8-outlier keeps every coordinate accurate where per-row absmax int8 does not: GPT-2-like
/// massive activations (one dimension of a few hundred on some rows) (docs/FORMAT.md).
final class OutlierInt8CodecTests: XCTestCase {
    /// The planted case: d 768, N(0,1) values, dimension 138 += 300 on 30% of rows.
    private func plantedOutliers(rows: Int, seed: UInt64) -> (values: [Float], outlierRows: [Bool]) {
        var rng = TestRNG(state: seed)
        let width = 768
        var values = [Float](repeating: 0, count: rows * width)
        var outlierRows = [Bool](repeating: false, count: rows)
        for r in 0..<rows {
            for j in 0..<width { values[r * width + j] = rng.gaussian() * 1.732 }  // the sum of 4 uniforms has variance 1/3
            if rng.uniform() < 0.3 {
                outlierRows[r] = true
                values[r * width + 138] += 300
            }
        }
        return (values, outlierRows)
    }

    /// Per column: RMS error over the selected rows / the column's std over all rows.
    private func columnRelativeErrors(_ decoded: [Float], _ original: [Float], width: Int, rows select: [Bool]) -> [Double] {
        let rowCount = original.count / width
        return (0..<width).map { j in
            var sum = 0.0, sumSquares = 0.0, errorSquares = 0.0, selected = 0
            for r in 0..<rowCount {
                let x = Double(original[r * width + j])
                sum += x
                sumSquares += x * x
                if select[r] {
                    let e = Double(decoded[r * width + j]) - x
                    errorSquares += e * e
                    selected += 1
                }
            }
            let mean = sum / Double(rowCount)
            let std = (sumSquares / Double(rowCount) - mean * mean).squareRoot()
            return (errorSquares / Double(max(1, selected))).squareRoot() / std
        }
    }

    private func roundTrip(_ values: [Float], width: Int, codec: ColumnCodec) throws -> (decoded: [Float], storedBytes: Int) {
        let path = temporaryDirectory(self, "outlier\(codec.rawValue)")
        let rows = values.count / width
        let writer = try StoreWriter.create(at: path, manifest: StoreManifest(
            columns: [ColumnSpec(name: hookName, width: width, codec: codec)], chunkRows: 2048, hasDocuments: false))
        try writer.appendRows([hookName: values], rowCount: rows)
        try writer.commit()
        let reader = try StoreReader(path: path)
        var decoded: [Float] = []
        try reader.readRows(column: hookName, rows: 0..<rows, into: &decoded)
        return (decoded, try reader.info().columns.first { $0.name == hookName }!.storedBytes)
    }

    /// Fails for today's int8 (67% error on the outlier rows' other coordinates), passes for
    /// int8-outlier: max per-column relative RMS error ≤ 2% on rows with and without outliers,
    /// at ≤ 1.1 stored bytes per value.
    func testPlantedOutliersKeepEveryCoordinate() throws {
        let rows = 4096, width = 768
        let (values, outlierRows) = plantedOutliers(rows: rows, seed: 7)
        let plainRows = outlierRows.map { !$0 }
        var worst: [ColumnCodec: Double] = [:]
        for codec in [ColumnCodec.int8, .int8Outlier] {
            let (decoded, storedBytes) = try roundTrip(values, width: width, codec: codec)
            let withOutlier = columnRelativeErrors(decoded, values, width: width, rows: outlierRows).max()!
            let without = columnRelativeErrors(decoded, values, width: width, rows: plainRows).max()!
            worst[codec] = max(withOutlier, without)
            if codec == .int8Outlier {
                XCTAssertLessThanOrEqual(withOutlier, 0.02, "rows with the outlier")
                XCTAssertLessThanOrEqual(without, 0.02, "rows without it")
                XCTAssertLessThanOrEqual(Double(storedBytes) / Double(values.count), 1.1, "bytes per value")
                // The outliers themselves are kept exactly.
                for r in 0..<rows where outlierRows[r] { XCTAssertEqual(decoded[r * width + 138], values[r * width + 138]) }
            }
        }
        // The same test rejects per-row absmax int8: it zeroes the outlier rows' other coordinates.
        XCTAssertGreaterThan(worst[.int8]!, 0.5)
    }

    /// Columns with offsets and very different spreads (and a rare huge value) keep their
    /// precision: the per-column centre and scale, not one scale per row.
    func testOffsetAndNarrowColumnsStayAccurate() throws {
        let rows = 3000, width = 64
        var rng = TestRNG(state: 11)
        var values = [Float](repeating: 0, count: rows * width)
        for r in 0..<rows {
            for j in 0..<width {
                let spread: Float = j % 8 == 0 ? 0.05 : 1 + Float(j % 5)
                let offset: Float = j == 3 ? 40 : 0
                values[r * width + j] = offset + spread * rng.gaussian() * 1.732
            }
            if r % 97 == 0 { values[r * width + 17] = 900 }
        }
        let (decoded, _) = try roundTrip(values, width: width, codec: .int8Outlier)
        let errors = columnRelativeErrors(decoded, values, width: width, rows: [Bool](repeating: true, count: rows))
        XCTAssertLessThanOrEqual(errors.max()!, 0.02)
    }

    /// The fast decode equals the plain one bit for bit, shuffled or not, and a payload whose
    /// outlier index runs past the width is refused before decoding.
    func testFastDecodeMatchesReferenceAndBadIndexIsCaught() throws {
        let rows = 300, width = 48
        var values = activationLike(rows: rows, width: width, seed: 5)
        for r in stride(from: 0, to: rows, by: 7) { values[r * width + (r % width)] = 250 }
        for shuffle in [false, true] {
            let spec = ColumnSpec(name: hookName, width: width, codec: .int8Outlier, byteShuffle: shuffle)
            var payload: [UInt8] = []
            try values.withUnsafeBufferPointer {
                try ChunkCodec.encode(floats: $0, rows: rows, width: width, spec: spec, firstRow: 0, into: &payload)
            }
            XCTAssertNil(payload.withUnsafeBytes { OutlierInt8Codec.problem(in: $0, shuffled: shuffle, rows: rows, width: width) })
            XCTAssertTrue(ChunkCodec.payloadByteRange(codec: .int8Outlier, rows: rows, width: width).contains(payload.count))
            var fast = [Float](repeating: .nan, count: rows * width)
            payload.withUnsafeBytes { src in
                fast.withUnsafeMutableBufferPointer { ChunkCodec.decode(floatsFrom: src, codec: .int8Outlier, shuffled: shuffle, rows: rows, width: width, into: $0) }
            }
            let reference = ChunkCodec.referenceDecode(floatsFrom: payload, codec: .int8Outlier, shuffled: shuffle, rows: rows, width: width)
            XCTAssertTrue(bitsEqual(fast, reference), "shuffle \(shuffle)")
            for r in stride(from: 0, to: rows, by: 7) { XCTAssertEqual(fast[r * width + (r % width)], 250) }

            // The first outlier index (unshuffled: 4 little-endian bytes after the counts).
            guard !shuffle else { continue }
            let indexStart = 8 * width + 5 * rows
            var broken = payload
            broken[indexStart + 2] = 0x7F
            let problem = broken.withUnsafeBytes { OutlierInt8Codec.problem(in: $0, shuffled: false, rows: rows, width: width) }
            XCTAssertNotNil(problem)
            XCTAssertTrue(problem?.contains("width \(width)") ?? false, problem ?? "")
        }
    }

    /// Non-finite values are refused with the row, not stored as garbage.
    func testNonFiniteIsRefused() {
        let spec = ColumnSpec(name: hookName, width: 2, codec: .int8Outlier)
        var payload: [UInt8] = []
        XCTAssertThrowsError(try [Float(1), .infinity].withUnsafeBufferPointer {
            try ChunkCodec.encode(floats: $0, rows: 1, width: 2, spec: spec, firstRow: 41, into: &payload)
        }) { XCTAssertTrue("\($0)".contains("row 41"), "\($0)") }
    }
}
