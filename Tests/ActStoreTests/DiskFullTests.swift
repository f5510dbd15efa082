import Foundation
import XCTest
@testable import ActStore

/// The disk fills while a writer appends and commits: the failure is a typed error naming the
/// file, the committed prefix is intact and verifies, and once space is freed a writer reopens
/// the store and carries on. Runs on a 4 MB tmpfs (needs root for mount; skipped otherwise).
final class DiskFullTests: XCTestCase {
    private var mountPoint: String?

    override func tearDown() {
        if let mountPoint { _ = umount2(mountPoint, 0); try? FileManager.default.removeItem(atPath: mountPoint) }
        super.tearDown()
    }

    private func mountSmallFilesystem(megabytes: Int) throws -> String {
        let dir = NSTemporaryDirectory() + "actstore-diskfull-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        guard mount("tmpfs", dir, "tmpfs", 0, "size=\(megabytes)m") == 0 else {
            try? FileManager.default.removeItem(atPath: dir)
            throw XCTSkip("cannot mount a tmpfs here (errno \(errno)); the disk-full test needs root")
        }
        mountPoint = dir
        return dir
    }

    func testDiskFullDuringIngestLeavesTheCommittedStoreIntactAndResumable() throws {
        let fs = try mountSmallFilesystem(megabytes: 4)
        // Space to give back later: after the disk fills, deleting it lets the run go on.
        let filler = fs + "/filler"
        XCTAssertTrue(FileManager.default.createFile(atPath: filler, contents: Data(repeating: 7, count: 1 << 20)))
        let path = fs + "/full.store"

        var committedRows = 0, committedDocs = 0
        var failure: Error?
        do {
            let writer = try StoreWriter.create(at: path, manifest: manifest(width: 64, codec: .f32, chunkRows: 64, segmentBytes: 1 << 20))
            for i in 0..<10_000 {
                do {
                    try writer.append(makeDocument(i, width: 64))
                    if i % 4 == 3 {
                        try writer.commit()
                        committedRows = writer.committedRowCount
                        committedDocs = i + 1
                    }
                } catch {
                    failure = error
                    break
                }
            }
        }
        let error = try XCTUnwrap(failure, "4 MB never filled up")
        XCTAssertTrue(error is StoreError, "untyped error: \(error)")
        XCTAssertTrue("\(error)".contains(path), "the error should name the file: \(error)")
        XCTAssertGreaterThan(committedRows, 0)

        // The committed prefix is all there and checks out.
        do {
            let reader = try StoreReader(path: path)
            XCTAssertEqual(reader.rowCount, committedRows)
            XCTAssertEqual(reader.documentCount, committedDocs)
        }
        let report = StoreVerifier.verify(path: path)
        XCTAssertTrue(report.isSound, "\(report.problems)")

        // Free space, reopen, continue: the next commit lands and the store verifies.
        try FileManager.default.removeItem(atPath: filler)
        do {
            let writer = try StoreWriter.open(at: path)
            XCTAssertEqual(writer.committedRowCount, committedRows)
            for i in committedDocs..<committedDocs + 4 { try writer.append(makeDocument(i, width: 64)) }
            try writer.commit()
            XCTAssertGreaterThan(writer.committedRowCount, committedRows)
        }
        XCTAssertEqual(try StoreReader(path: path).documentCount, committedDocs + 4)
        let after = StoreVerifier.verify(path: path)
        XCTAssertTrue(after.isSound, "\(after.problems)")
    }
}
