/// Where one tensor lives in a file and how to read it.
public struct TensorInfo: Sendable, Equatable {
    /// Tensor name as stored in the header.
    public let name: String
    /// Element type as stored; its `byteWidth` times `elementCount` is `byteRange.count`.
    public let dtype: TensorDType
    /// Dimensions, outermost first (C order). Empty for a scalar.
    public let shape: [Int]
    /// Absolute byte range of the tensor's data within the file.
    public let byteRange: Range<Int>

    /// Takes the fields as given; `SafetensorsFile.init(path:)` validates them before building one.
    public init(name: String, dtype: TensorDType, shape: [Int], byteRange: Range<Int>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.byteRange = byteRange
    }

    /// Product of the dimensions (1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }
}
