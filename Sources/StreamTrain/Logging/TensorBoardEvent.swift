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
