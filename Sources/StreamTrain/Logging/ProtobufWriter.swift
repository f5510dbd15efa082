/// Just enough protobuf wire format for TensorBoard's Event and Summary messages
/// (tensorflow/core/util/event.proto, tensorflow/core/framework/summary.proto).
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    enum WireType: UInt8 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    mutating func key(_ field: Int, _ wire: WireType) {
        varint(UInt64(field) << 3 | UInt64(wire.rawValue))
    }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func double(_ field: Int, _ value: Double) {
        key(field, .fixed64)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// int64 fields are varints of the two's-complement value (negative → 10 bytes).
    mutating func int64(_ field: Int, _ value: Int64) {
        key(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    mutating func lengthDelimited(_ field: Int, _ payload: [UInt8]) {
        key(field, .lengthDelimited)
        varint(UInt64(payload.count))
        bytes.append(contentsOf: payload)
    }

    mutating func string(_ field: Int, _ value: String) {
        lengthDelimited(field, Array(value.utf8))
    }
}

/// TensorBoard's Event { wall_time = 1: double, step = 2: int64, file_version = 3: string,
/// summary = 5: Summary, session_log = 7: SessionLog }, Summary { value = 1: repeated Value },
/// Value { tag = 1: string, simple_value = 2: float }.
enum TensorBoardEvent {
    static func fileVersion(wallTime: Double) -> [UInt8] {
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.string(3, "brain.Event:2")
        return event.bytes
    }

    /// Event { step, session_log = 7: SessionLog { status = 1: START (1) } }: TensorBoard
    /// drops every event of this run with step >= `step` when it reads this, which is how a
    /// resumed run hides what the killed run logged after its last checkpoint.
    static func sessionStart(step: Int, wallTime: Double) -> [UInt8] {
        var sessionLog = ProtobufWriter()
        sessionLog.key(1, .varint)
        sessionLog.varint(1)
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.int64(2, Int64(step))
        event.lengthDelimited(7, sessionLog.bytes)
        return event.bytes
    }

    static func scalars(_ values: [(tag: String, value: Float)], step: Int, wallTime: Double) -> [UInt8] {
        var summary = ProtobufWriter()
        for (tag, value) in values {
            var entry = ProtobufWriter()
            entry.string(1, tag)
            entry.float(2, value)
            summary.lengthDelimited(1, entry.bytes)
        }
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.int64(2, Int64(step))
        event.lengthDelimited(5, summary.bytes)
        return event.bytes
    }
}
