/// Everything that can go wrong reading or writing a tensor file. Each case names the file,
/// where in it the problem is (byte offset or tensor), what was expected, and a hint.
public enum TensorIOError: Error, CustomStringConvertible, Equatable {
    /// A system call failed (`operation` is e.g. "open", "mmap", "write"); `message` is strerror.
    case io(path: String, operation: String, message: String)
    /// The file ends before `neededByteCount` bytes; `byteOffset` is where the missing part starts.
    case truncated(path: String, byteOffset: Int, neededByteCount: Int, fileByteCount: Int, what: String)
    /// The safetensors u64 header length is larger than the limit or than the file.
    case headerTooLarge(path: String, headerByteCount: UInt64, limitByteCount: Int, fileByteCount: Int)
    /// The header bytes are not a JSON object of the expected form.
    case invalidHeader(path: String, byteOffset: Int, detail: String)
    /// One tensor entry lacks a field or has a field of the wrong type.
    case malformedTensorEntry(path: String, tensor: String, detail: String)
    /// A dtype string this library does not know.
    case unknownDType(path: String, tensor: String, dtype: String)
    /// `data_offsets` are reversed or point past the data section.
    case offsetsOutOfBounds(path: String, tensor: String, begin: Int, end: Int, dataByteCount: Int)
    /// The byte span of a tensor does not equal elementCount * byteWidth.
    case sizeMismatch(path: String, tensor: String, shape: [Int], dtype: TensorDType, expectedByteCount: Int, actualByteCount: Int)
    /// Two tensors share bytes.
    case overlappingTensors(path: String, first: String, second: String, firstRange: Range<Int>, secondRange: Range<Int>)
    /// `__metadata__` is not a string→string map.
    case invalidMetadata(path: String, detail: String)
    /// No tensor of that name; `nearNames` are the closest names present.
    case tensorNotFound(path: String, tensor: String, nearNames: [String])
    /// The caller asked for a conversion this dtype does not support (e.g. floats() of I64).
    case unsupportedConversion(path: String, tensor: String, dtype: TensorDType, wanted: String)
    /// The file does not start with "\x93NUMPY".
    case npyBadMagic(path: String)
    /// NPY major version other than 1, 2, 3.
    case npyUnsupportedVersion(path: String, major: Int, minor: Int)
    /// The NPY header dict cannot be parsed or lacks a key.
    case npyBadHeader(path: String, byteOffset: Int, detail: String)
    /// A NumPy descr this library does not read (e.g. '<c8', '|O', structured dtypes).
    case npyUnsupportedDType(path: String, descr: String)
    /// The array is stored in Fortran (column-major) order.
    case npyFortranOrder(path: String)
    /// The array has a rank this library does not read as rows (0-D or more than 3-D).
    case npyUnsupportedShape(path: String, shape: [Int])
    /// Rows requested outside [0, rowCount).
    case rowRangeOutOfBounds(path: String, requested: Range<Int>, rowCount: Int)
    /// A writer was given values inconsistent with what it was told up front.
    case invalidWrite(path: String, detail: String)

    /// One line: the file, where in it, what was expected, and a hint for what to do.
    public var description: String {
        switch self {
        case let .io(path, operation, message):
            return "\(path): \(operation) failed: \(message). Hint: check that the path exists and is readable/writable."
        case let .truncated(path, byteOffset, needed, fileBytes, what):
            return "\(path): truncated: \(what) needs \(needed) bytes at byte offset \(byteOffset), but the file has \(fileBytes) bytes. Hint: the file was cut short (interrupted download or copy); fetch it again."
        case let .headerTooLarge(path, header, limit, fileBytes):
            return "\(path): safetensors header length \(header) at byte offset 0 exceeds the limit of \(limit) bytes or the file size (\(fileBytes) bytes). Hint: this is not a safetensors file, or it is corrupt."
        case let .invalidHeader(path, byteOffset, detail):
            return "\(path): invalid header at byte offset \(byteOffset): \(detail). Hint: expected a JSON object mapping tensor names to {dtype, shape, data_offsets}; the file may be corrupt or not a safetensors file."
        case let .malformedTensorEntry(path, tensor, detail):
            return "\(path): tensor '\(tensor)': \(detail). Hint: each entry needs \"dtype\" (string), \"shape\" (list of non-negative ints) and \"data_offsets\" ([begin, end] ints)."
        case let .unknownDType(path, tensor, dtype):
            return "\(path): tensor '\(tensor)' has unknown dtype '\(dtype)'. Hint: supported dtypes are \(TensorDType.allCases.map(\.rawValue).joined(separator: ", "))."
        case let .offsetsOutOfBounds(path, tensor, begin, end, dataBytes):
            return "\(path): tensor '\(tensor)' has data_offsets [\(begin), \(end)] but the data section holds \(dataBytes) bytes (expected 0 <= begin <= end <= \(dataBytes)). Hint: the file is truncated or its header is corrupt."
        case let .sizeMismatch(path, tensor, shape, dtype, expected, actual):
            return "\(path): tensor '\(tensor)' with shape \(shape) and dtype \(dtype.rawValue) needs \(expected) bytes but its data_offsets span \(actual) bytes. Hint: the header is inconsistent; re-export the file."
        case let .overlappingTensors(path, first, second, firstRange, secondRange):
            return "\(path): tensors '\(first)' (data bytes \(firstRange.lowerBound)..<\(firstRange.upperBound)) and '\(second)' (\(secondRange.lowerBound)..<\(secondRange.upperBound)) overlap. Hint: each tensor must own its bytes; the file is corrupt or crafted."
        case let .invalidMetadata(path, detail):
            return "\(path): __metadata__ \(detail). Hint: __metadata__ must be a JSON object of string keys to string values."
        case let .tensorNotFound(path, tensor, near):
            let suggestion = near.isEmpty ? "" : " Nearest names: \(near.joined(separator: ", "))."
            return "\(path): no tensor named '\(tensor)'.\(suggestion) Hint: some checkpoints prefix names with 'transformer.'."
        case let .unsupportedConversion(path, tensor, dtype, wanted):
            return "\(path): tensor '\(tensor)' has dtype \(dtype.rawValue), which cannot be read as \(wanted). Hint: read it with withRawBytes instead."
        case let .npyBadMagic(path):
            return "\(path): not a .npy file: bytes 0..<6 are not \\x93NUMPY. Hint: pass a file written by numpy.save (not .npz or a pickle)."
        case let .npyUnsupportedVersion(path, major, minor):
            return "\(path): .npy format version \(major).\(minor) at byte offset 6 is not supported (expected 1.0, 2.0 or 3.0). Hint: re-save with a current numpy."
        case let .npyBadHeader(path, byteOffset, detail):
            return "\(path): .npy header at byte offset \(byteOffset): \(detail). Hint: expected a dict like {'descr': '<f4', 'fortran_order': False, 'shape': (rows, width), }."
        case let .npyUnsupportedDType(path, descr):
            return "\(path): .npy dtype '\(descr)' is not supported (expected one of <f4, <f2, <f8, <i4, <i8, <u4, <u2, <i2, |u1, |i1, |b1, or a '>' variant). Hint: convert with arr.astype('<f4') before saving."
        case let .npyFortranOrder(path):
            return "\(path): the array is stored in Fortran order (fortran_order: True); only C order is read. Hint: save numpy.ascontiguousarray(arr) instead."
        case let .npyUnsupportedShape(path, shape):
            return "\(path): array shape \(shape) cannot be read as rows (expected 1, 2 or 3 dimensions: (n,), (rows, width) or (batch, context, width)). Hint: reshape to (rows, width) before saving."
        case let .rowRangeOutOfBounds(path, requested, rowCount):
            return "\(path): rows \(requested.lowerBound)..<\(requested.upperBound) requested but the array has \(rowCount) rows. Hint: clamp the range to rowCount."
        case let .invalidWrite(path, detail):
            return "\(path): \(detail). Hint: the writer's arguments disagree with the data given to it."
        }
    }
}
