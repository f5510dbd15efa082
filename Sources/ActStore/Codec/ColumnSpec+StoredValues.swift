extension ColumnSpec {
    /// The values a reader gets back after `values` ((rowCount, width) row-major) are written to
    /// this column: f32 as they are, f16/bf16 rounded, int8 quantized per row. It runs the
    /// writer's encode and the reader's decode (ChunkCodec) on one chunk of the rows, so live
    /// activations (`saestore serve`'s /encode) see exactly what a feature scan of an ingested
    /// copy would. Throws what the writer would (a value f16 cannot hold).
    public func storedValues(_ values: [Float], rowCount: Int) throws -> [Float] {
        precondition(codec.isFloat, "storedValues: \(name) holds integers")
        precondition(values.count == rowCount * width, "storedValues: \(values.count) values for \(rowCount)x\(width)")
        guard rowCount > 0 else { return [] }
        var payload: [UInt8] = []
        try values.withUnsafeBufferPointer { v in
            try ChunkCodec.encode(floats: v, rows: rowCount, width: width, spec: self, firstRow: 0, into: &payload)
        }
        var out = [Float](repeating: 0, count: values.count)
        payload.withUnsafeBytes { p in
            out.withUnsafeMutableBufferPointer { o in
                ChunkCodec.decode(floatsFrom: p, codec: codec, shuffled: byteShuffle, rows: rowCount, width: width, into: o)
            }
        }
        return out
    }
}
