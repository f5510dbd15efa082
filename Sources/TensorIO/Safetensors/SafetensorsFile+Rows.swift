extension SafetensorsFile {
    /// Rows and width of a float tensor read as a matrix: the last dimension is the width
    /// and all leading dimensions are flattened into rows ((batch, ctx, d) → (batch*ctx, d)).
    public func matrixShape(_ name: String) throws -> (rowCount: Int, width: Int) {
        let info = try info(name)
        guard info.dtype.isFloatingPoint else {
            throw TensorIOError.unsupportedConversion(path: path, tensor: name, dtype: info.dtype, wanted: "Float")
        }
        guard let width = info.shape.last else { return (1, 1) }
        return (info.shape.dropLast().reduce(1, *), width)
    }

    /// Converts rows [range) of the tensor, read as a matrix, to Float into `out`
    /// (resized to range.count * width); nothing else of the tensor is touched.
    public func readRows(_ name: String, _ range: Range<Int>, into out: inout [Float]) throws {
        let info = try info(name)
        let (rowCount, width) = try matrixShape(name)
        precondition(range.lowerBound >= 0 && range.upperBound <= rowCount, "rows \(range) outside \(name)'s \(rowCount) rows")
        let count = range.count * width
        if out.count != count { out = [Float](repeating: 0, count: count) }
        let rowBytes = width * info.dtype.byteWidth
        try withRawBytes(name) { all in
            let slice = UnsafeRawBufferPointer(rebasing: all[range.lowerBound * rowBytes..<range.upperBound * rowBytes])
            out.withUnsafeMutableBufferPointer { info.dtype.decode(slice, into: $0) }
        }
    }
}
