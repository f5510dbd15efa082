/// Element types as safetensors names them. NumPy's type strings map onto the same cases.
public enum TensorDType: String, Sendable, Codable, CaseIterable {
    /// IEEE 754 double, 8 bytes; read as Float (rounded).
    case f64 = "F64"
    /// IEEE 754 single, 4 bytes.
    case f32 = "F32"
    /// IEEE 754 half, 2 bytes (5-bit exponent: range ±65504).
    case f16 = "F16"
    /// bfloat16, 2 bytes: a float32's top half (8-bit exponent, 7-bit mantissa).
    case bf16 = "BF16"
    /// Signed 64-bit integer; read as Float (exact up to 2^24).
    case i64 = "I64"
    /// Signed 32-bit integer; read as Float (exact up to 2^24).
    case i32 = "I32"
    /// Signed 16-bit integer.
    case i16 = "I16"
    /// Signed 8-bit integer.
    case i8 = "I8"
    /// Unsigned 64-bit integer; read as Float (exact up to 2^24).
    case u64 = "U64"
    /// Unsigned 32-bit integer; read as Float (exact up to 2^24).
    case u32 = "U32"
    /// Unsigned 16-bit integer.
    case u16 = "U16"
    /// Unsigned 8-bit integer.
    case u8 = "U8"
    /// Boolean, one byte each (0 false, else true); read as 0 or 1.
    case bool = "BOOL"

    /// Bytes per element.
    public var byteWidth: Int {
        switch self {
        case .f64, .i64, .u64: return 8
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .i8, .u8, .bool: return 1
        }
    }

    /// Whether `floats(_:)`-style conversion to Float is defined for this type.
    public var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16: return true
        default: return false
        }
    }
}
