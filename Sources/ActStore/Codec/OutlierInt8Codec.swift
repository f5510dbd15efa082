/// The `int8-outlier` codec: int8 that keeps outliers (docs/FORMAT.md, "int8-outlier").
///
/// Plain per-row absmax int8 fails on residual streams with massive-activation dimensions
/// (Sun et al. 2024): one coordinate of a few hundred sets the row's scale, and every other
/// coordinate of that row rounds to zero. Here, per chunk, every column is first centred and
/// scaled by robust statistics (its median and its median absolute deviation, so columns with
/// offsets or small spread keep their precision); then per row the few coordinates far outside
/// the row's typical magnitude are kept exactly (f32, as LLM.int8() keeps outlier features in
/// 16 bits), and the rest share one int8 scale.
///
/// Payload (before zstd), R rows, W width, O = Σ counts outliers, little-endian:
///   W f32 centres ‖ W f32 column scales ‖ R f32 row scales ‖ R u8 outlier counts ‖
///   O u32 column indices ‖ O f32 values ‖ R·W i8
/// With byte shuffling each f32/u32 array is shuffled into 4 planes on its own.
/// Decode: x[r,j] = ((f32(q[r,j]) · rowScale[r]) · columnScale[j]) + centre[j] (three f32
/// roundings, no fused multiply-add), then each outlier's value replaces x[r, index].
enum OutlierInt8Codec {
    /// Outliers kept per row at most: a few massive dimensions, not a second dense encoding.
    static let maxOutliersPerRow = 8
    /// A coordinate is an outlier when it is this many robust standard deviations of its row
    /// away from its column's centre (no Gaussian row gets one: P(|z| > 6) ≈ 2e-9).
    static let outlierSigmas: Float = 6
    /// Rows sampled per chunk for the column statistics (medians of every row would sort the
    /// whole chunk per column; 1024 rows give the centre and spread to a few percent).
    static let sampleRows = 1024

    /// Payload bytes for `outlierCount` outliers.
    static func payloadByteCount(rows: Int, width: Int, outlierCount: Int) -> Int {
        8 * width + 5 * rows + 8 * outlierCount + rows * width
    }

    /// Smallest and largest payload a chunk of this shape can have (the record's raw byte
    /// count is checked against it before decompressing).
    static func payloadByteRange(rows: Int, width: Int) -> ClosedRange<Int> {
        let least = payloadByteCount(rows: rows, width: width, outlierCount: 0)
        return least...payloadByteCount(rows: rows, width: width, outlierCount: rows * min(255, width))
    }

    // MARK: encode

    /// values: (rows, width) row-major.
    static func encode(_ values: UnsafeBufferPointer<Float>, rows: Int, width: Int, spec: ColumnSpec,
                       firstRow: Int, into payload: inout [UInt8]) throws {
        for i in 0..<values.count where !values[i].isFinite {
            throw StoreError.valueNotRepresentable(column: spec.name, row: firstRow + i / width, value: values[i], codec: spec.codec)
        }
        let stride = max(1, rows / sampleRows)
        let sample = Swift.stride(from: 0, to: rows, by: stride).map { $0 }
        var centres = [Float](repeating: 0, count: width)
        var columnScales = [Float](repeating: 1, count: width)
        var column = [Float](repeating: 0, count: sample.count)
        for j in 0..<width {
            for (k, r) in sample.enumerated() { column[k] = values[r * width + j] }
            let centre = lowerMedian(&column)
            for k in column.indices { column[k] = abs(column[k] - centre) }
            let spread = lowerMedian(&column)
            centres[j] = centre
            columnScales[j] = spread.isNormal ? spread : 1
        }

        var rowScales = [Float](repeating: 0, count: rows)
        var counts = [UInt8](repeating: 0, count: rows)
        var indices: [UInt32] = []
        var outliers: [Float] = []
        var quantized = [Int8](repeating: 0, count: rows * width)
        var y = [Float](repeating: 0, count: width)
        var magnitudes = [Float](repeating: 0, count: width)
        var isOutlier = [Bool](repeating: false, count: width)
        for r in 0..<rows {
            for j in 0..<width {
                y[j] = (values[r * width + j] - centres[j]) / columnScales[j]
                magnitudes[j] = abs(y[j])
            }
            // 0.6745 = the median of |N(0,1)|: median |y| / 0.6745 estimates the row's sigma
            // without letting the outliers themselves inflate it.
            let sigma = lowerMedian(&magnitudes) / 0.6745
            let threshold = outlierSigmas * sigma
            var candidates: [Int] = []
            for j in 0..<width where abs(y[j]) > threshold { candidates.append(j) }
            if candidates.count > maxOutliersPerRow {
                candidates.sort { abs(y[$0]) != abs(y[$1]) ? abs(y[$0]) > abs(y[$1]) : $0 < $1 }
                candidates = Array(candidates.prefix(maxOutliersPerRow))
            }
            candidates.sort()
            for j in candidates { isOutlier[j] = true }
            var absmax: Float = 0
            for j in 0..<width where !isOutlier[j] { absmax = max(absmax, abs(y[j])) }
            let scale = absmax / 127
            rowScales[r] = scale
            if scale > 0 {
                for j in 0..<width where !isOutlier[j] {
                    let q = (y[j] / scale).rounded(.toNearestOrEven)
                    quantized[r * width + j] = Int8(max(-127, min(127, q)))
                }
            }
            counts[r] = UInt8(candidates.count)
            for j in candidates {
                indices.append(UInt32(j))
                outliers.append(values[r * width + j])
                isOutlier[j] = false
            }
        }

        payload.removeAll(keepingCapacity: true)
        let shuffle = spec.byteShuffle
        centres.withUnsafeBytes { appendPlanes($0, shuffle: shuffle, to: &payload) }
        columnScales.withUnsafeBytes { appendPlanes($0, shuffle: shuffle, to: &payload) }
        rowScales.withUnsafeBytes { appendPlanes($0, shuffle: shuffle, to: &payload) }
        payload.append(contentsOf: counts)
        indices.withUnsafeBytes { appendPlanes($0, shuffle: shuffle, to: &payload) }
        outliers.withUnsafeBytes { appendPlanes($0, shuffle: shuffle, to: &payload) }
        quantized.withUnsafeBytes { payload.append(contentsOf: $0) }
        precondition(payload.count == payloadByteCount(rows: rows, width: width, outlierCount: outliers.count), "int8-outlier payload size")
    }

    /// The element at (count-1)/2 of the sorted values (reorders `values`).
    private static func lowerMedian(_ values: inout [Float]) -> Float {
        values.sort()
        return values[(values.count - 1) / 2]
    }

    private static func appendPlanes(_ bytes: UnsafeRawBufferPointer, shuffle: Bool, to payload: inout [UInt8]) {
        guard shuffle, bytes.count > 0 else { return payload.append(contentsOf: bytes) }
        let start = payload.count
        payload.append(contentsOf: repeatElement(0, count: bytes.count))
        payload.withUnsafeMutableBytes { out in
            ByteShuffle.shuffle(bytes, width: 4, into: UnsafeMutableRawBufferPointer(rebasing: out[start..<start + bytes.count]))
        }
    }

    // MARK: validate

    /// Why a decompressed payload cannot be decoded (sizes, counts, indices), or nil when it
    /// can: the decoder below trusts what this checked.
    static func problem(in payload: UnsafeRawBufferPointer, shuffled: Bool, rows: Int, width: Int) -> String? {
        let countsStart = 8 * width + 4 * rows
        guard payload.count >= payloadByteCount(rows: rows, width: width, outlierCount: 0) else {
            return "int8-outlier payload of \(payload.count) bytes is shorter than \(rows) rows x \(width) need"
        }
        var outlierCount = 0
        for r in 0..<rows { outlierCount += Int(payload[countsStart + r]) }
        let expected = payloadByteCount(rows: rows, width: width, outlierCount: outlierCount)
        guard payload.count == expected else {
            return "int8-outlier payload holds \(payload.count) bytes, its \(outlierCount) outliers need \(expected)"
        }
        let indexStart = countsStart + rows
        var k = 0
        for r in 0..<rows {
            var previous = -1
            for _ in 0..<Int(payload[countsStart + r]) {
                let j = Int(load32(payload, start: indexStart, count: outlierCount, at: k, shuffled: shuffled))
                guard j > previous, j < width else {
                    return "int8-outlier row \(r): outlier column \(j) is not above \(previous) and below the width \(width)"
                }
                previous = j
                k += 1
            }
        }
        return nil
    }

    /// Element `i` of a u32/f32 array of `count` elements stored from `start`, planar or not.
    @inline(__always)
    private static func load32(_ payload: UnsafeRawBufferPointer, start: Int, count: Int, at i: Int, shuffled: Bool) -> UInt32 {
        if shuffled {
            return UInt32(payload[start + i]) | UInt32(payload[start + count + i]) << 8
                | UInt32(payload[start + 2 * count + i]) << 16 | UInt32(payload[start + 3 * count + i]) << 24
        }
        return payload.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)
    }

    // MARK: decode (fast path)

    /// payload → (rows, width) floats; `problem(in:)` has accepted the payload.
    static func decode(_ payload: UnsafeRawBufferPointer, shuffled: Bool, rows: Int, width: Int, into out: UnsafeMutableBufferPointer<Float>) {
        let countsStart = 8 * width + 4 * rows
        var centres = [Float](repeating: 0, count: width)
        var columnScales = [Float](repeating: 0, count: width)
        for j in 0..<width {
            centres[j] = Float(bitPattern: load32(payload, start: 0, count: width, at: j, shuffled: shuffled))
            columnScales[j] = Float(bitPattern: load32(payload, start: 4 * width, count: width, at: j, shuffled: shuffled))
        }
        var outlierCount = 0
        for r in 0..<rows { outlierCount += Int(payload[countsStart + r]) }
        let indexStart = countsStart + rows
        let valueStart = indexStart + 4 * outlierCount
        let quantizedStart = valueStart + 4 * outlierCount
        let dst = out.baseAddress!
        var k = 0
        centres.withUnsafeBufferPointer { mu in
            columnScales.withUnsafeBufferPointer { c in
                let q = (payload.baseAddress! + quantizedStart).assumingMemoryBound(to: Int8.self)
                for r in 0..<rows {
                    let scale = Float(bitPattern: load32(payload, start: 8 * width, count: rows, at: r, shuffled: shuffled))
                    let row = dst + r * width
                    let qrow = q + r * width
                    for j in 0..<width { row[j] = (Float(qrow[j]) * scale) * c[j] + mu[j] }
                    for _ in 0..<Int(payload[countsStart + r]) {
                        let j = Int(load32(payload, start: indexStart, count: outlierCount, at: k, shuffled: shuffled))
                        row[j] = Float(bitPattern: load32(payload, start: valueStart, count: outlierCount, at: k, shuffled: shuffled))
                        k += 1
                    }
                }
            }
        }
    }

    // MARK: reference

    /// The plain decode, straight from the format description: un-shuffle each array with the
    /// reference, then value by value.
    static func referenceDecode(_ payload: [UInt8], shuffled: Bool, rows: Int, width: Int) -> [Float] {
        var offset = 0
        func words(_ n: Int) -> [UInt32] {
            let raw = Array(payload[offset..<offset + 4 * n])
            offset += 4 * n
            let plain = shuffled ? ByteShuffle.unshuffle(raw, width: 4) : raw
            return (0..<n).map { i in (0..<4).reduce(UInt32(0)) { $0 | UInt32(plain[4 * i + $1]) << (8 * UInt32($1)) } }
        }
        let centres = words(width).map { Float(bitPattern: $0) }
        let columnScales = words(width).map { Float(bitPattern: $0) }
        let rowScales = words(rows).map { Float(bitPattern: $0) }
        let counts = payload[offset..<offset + rows].map { Int($0) }
        offset += rows
        let outlierCount = counts.reduce(0, +)
        let indices = words(outlierCount).map { Int($0) }
        let values = words(outlierCount).map { Float(bitPattern: $0) }
        var out = [Float](repeating: 0, count: rows * width)
        for r in 0..<rows {
            for j in 0..<width {
                let q = Float(Int8(bitPattern: payload[offset + r * width + j]))
                let scaled = q * rowScales[r]
                out[r * width + j] = scaled * columnScales[j] + centres[j]
            }
        }
        var k = 0
        for r in 0..<rows {
            for _ in 0..<counts[r] {
                out[r * width + indices[k]] = values[k]
                k += 1
            }
        }
        return out
    }
}
