import Foundation
import SAELoading
import TensorIO

extension ExampleWindowsFile {
    /// Every feature's examples as resolver requests, in file order (top examples, then the
    /// quantile buckets' samples), and where each feature's start. starts: (F + 1)
    static func requests(_ tables: FeatureTables) -> (requests: [ExampleRequest], starts: [Int]) {
        var requests: [ExampleRequest] = []
        var starts: [Int] = [0]
        for f in 0..<tables.featureCount {
            let id = tables.featureIDs[f]
            for example in tables.topExamples(f) { requests.append(ExampleRequest(feature: id, row: example.row, activation: example.activation)) }
            for q in 0..<tables.quantileCount {
                for example in tables.quantileSamples(f, bucket: q) {
                    requests.append(ExampleRequest(feature: id, row: example.row, activation: example.activation))
                }
            }
            starts.append(requests.count)
        }
        return (requests, starts)
    }

    /// Resolves every example the tables report with `resolver` (its window is the one
    /// stored) and writes the file to `url`. The resolver visits the store's chunks once, in
    /// order, and hands examples back in that order; they are spilled to `url`.spill as they
    /// come and copied into feature order at the end, so memory is the offsets, not the windows.
    static func write(tables: FeatureTables, resolver: ExampleResolver, to url: URL) throws -> ExampleWindowsInfo {
        let start = Date()
        let (requests, starts) = requests(tables)
        let spillURL = URL(fileURLWithPath: url.path + ".spill"), partialURL = URL(fileURLWithPath: url.path + ".partial")
        defer { try? FileManager.default.removeItem(at: spillURL) }
        var recordStarts = [Int](repeating: -1, count: requests.count)
        var recordEnds = [Int](repeating: -1, count: requests.count)
        var spill = try BufferedFileWriter(url: spillURL)
        var record: [UInt8] = []
        try resolver.resolve(requests) { i, example in
            record.removeAll(keepingCapacity: true)
            ExampleWindowCoding.append(example, to: &record)
            recordStarts[i] = spill.byteCount
            try spill.write(record)
            recordEnds[i] = spill.byteCount
        }
        try spill.close()

        let F = tables.featureCount
        var offsets: [Int] = []
        offsets.reserveCapacity(F + 1)
        var offset = headerByteCount + 8 * (F + 1)
        for f in 0..<F {
            offsets.append(offset)
            offset += 4
            for i in starts[f]..<starts[f + 1] { offset += recordEnds[i] - recordStarts[i] }
        }
        offsets.append(offset)
        var out = try BufferedFileWriter(url: partialURL)
        var header: [UInt8] = magic
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { header.append(contentsOf: $0) } }
        func u64(_ v: Int) { withUnsafeBytes(of: UInt64(v).littleEndian) { header.append(contentsOf: $0) } }
        u32(UInt32(formatVersion))
        u32(UInt32(resolver.window))
        u64(F)
        u64(requests.count)
        for o in offsets { u64(o) }
        try out.write(header)
        if !requests.isEmpty {
            let spilled = try MappedFile(path: spillURL.path)
            for f in 0..<F {
                try out.write(withUnsafeBytes(of: UInt32(starts[f + 1] - starts[f]).littleEndian) { Array($0) })
                for i in starts[f]..<starts[f + 1] {
                    try spilled.withBytes(recordStarts[i]..<recordEnds[i]) { try out.write($0) }
                }
            }
        }
        try out.close()
        precondition(out.byteCount == offset, "ExampleWindowsFile: wrote \(out.byteCount) bytes, the offsets say \(offset)")
        // rename(2) replaces the old file atomically: readers see the old or the new one.
        guard rename(partialURL.path, url.path) == 0 else {
            throw FeaturesError.invalidArgument("cannot move \(partialURL.path) to \(url.path) (errno \(errno))")
        }
        return ExampleWindowsInfo(formatVersion: formatVersion, window: resolver.window, byteCount: offset,
                                  exampleCount: requests.count, seconds: Date().timeIntervalSince(start))
    }
}

/// Appends bytes to a new file through a 4 MiB buffer, fsyncing on close.
struct BufferedFileWriter {
    let url: URL
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    /// Bytes written so far (buffered included).
    private(set) var byteCount = 0

    init(url: URL) throws {
        self.url = url
        guard FileManager.default.createFile(atPath: url.path, contents: nil), let handle = FileHandle(forWritingAtPath: url.path) else {
            throw FeaturesError.invalidArgument("cannot create \(url.path)")
        }
        self.handle = handle
        buffer.reserveCapacity(1 << 22)
    }

    mutating func write<C: Collection>(_ bytes: C) throws where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
        byteCount += bytes.count
        if buffer.count >= 1 << 22 { try flush() }
    }

    private mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    mutating func close() throws {
        try flush()
        try handle.synchronize()
        try handle.close()
    }
}
