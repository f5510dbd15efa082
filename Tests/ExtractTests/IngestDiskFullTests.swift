import ActStore
import Foundation
import XCTest
@testable import Extract

/// The disk fills in the middle of a whole ingest (corpus → model → store): the run stops with
/// a typed error naming the file, the store opens at its last commit with every committed row
/// intact and verifies, and rerunning the same ingest once space is freed finishes the store
/// as one uninterrupted run would have made it. Runs on a small tmpfs (needs root for mount;
/// skipped otherwise).
final class IngestDiskFullTests: XCTestCase {
    private var mountPoint: String?

    override func tearDown() {
        if let mountPoint { _ = umount2(mountPoint, 0); try? FileManager.default.removeItem(atPath: mountPoint) }
        super.tearDown()
    }

    private func mountSmallFilesystem(bytes: Int) throws -> String {
        let dir = NSTemporaryDirectory() + "ingest-diskfull-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        guard mount("tmpfs", dir, "tmpfs", 0, "size=\(bytes)") == 0 else {
            try? FileManager.default.removeItem(atPath: dir)
            throw XCTSkip("cannot mount a tmpfs here (errno \(errno)); the disk-full test needs root")
        }
        mountPoint = dir
        return dir
    }

    private func directoryByteCount(_ path: String) throws -> Int {
        let fm = FileManager.default
        var total = 0
        for name in try fm.subpathsOfDirectory(atPath: path) {
            let attributes = try fm.attributesOfItem(atPath: path + "/" + name)
            if attributes[.type] as? FileAttributeType == .typeRegular { total += (attributes[.size] as? Int) ?? 0 }
        }
        return total
    }

    func testDiskFullDuringIngestKeepsCommittedDocumentsAndResumesToTheSameStore() throws {
        let modelDirectory = try sharedData("models/tiny-shakespeare-gpt2").path
        let text = try String(contentsOf: try sharedData("corpora/tinyshakespeare.txt"), encoding: .utf8)
        let docs = Array(text.components(separatedBy: "\n\n").prefix(120))
        let hook = "blocks.2.hook_resid_pre"
        // f32 so the committed prefix compares exactly; a commit every 6 documents.
        let config = IngestConfig(hooks: [hook], contextSize: 32, dtype: .f32, batchWindows: 4, chunkRows: 128,
                                  commitEveryDocuments: 6)
        let model = try GPT2Model(directory: modelDirectory)
        let tokenizer = try GPT2Tokenizer(vocabPath: modelDirectory + "/vocab.json", mergesPath: modelDirectory + "/merges.txt")
        func ingest(_ store: String) throws -> IngestSummary {
            try Ingester(model: model, tokenizer: tokenizer, modelName: "tiny-shakespeare-gpt2", config: config)
                .run(store: store, sources: ["shakespeare"], open: { _, skip in ParagraphStream(paragraphs: docs, next: skip) })
        }

        // The uninterrupted run, on the ordinary disk, sizes the small one.
        let clean = NSTemporaryDirectory() + "ingest-diskfull-clean-\(UUID().uuidString.prefix(8))"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: clean) }
        _ = try ingest(clean)
        let storeBytes = try directoryByteCount(clean)

        // Room for about half the store; the filler is the space given back later.
        let fs = try mountSmallFilesystem(bytes: storeBytes + (1 << 20))
        let filler = fs + "/filler"
        XCTAssertTrue(FileManager.default.createFile(atPath: filler, contents: Data(repeating: 7, count: storeBytes / 2 + (1 << 20))))
        let store = fs + "/full.store"

        XCTAssertThrowsError(try ingest(store), "the disk never filled") { error in
            XCTAssertTrue(error is StoreError, "untyped error: \(error)")
            XCTAssertTrue("\(error)".contains(store), "the error should name the file: \(error)")
            XCTAssertTrue("\(error)".contains("No space left on device"), "\(error)")
            if case .io? = error as? StoreError {
                XCTAssertTrue("\(error)".contains("Hint: free space"), "\(error)")
            }
        }

        // The last commit is all there, row for row equal to the clean store's prefix.
        let a = try StoreReader(path: clean)
        do {
            let b = try StoreReader(path: store)
            XCTAssertGreaterThan(b.documentCount, 0, "no commit before the disk filled")
            XCTAssertLessThan(b.documentCount, a.documentCount)
            let rows = try a.document(b.documentCount - 1).rows.upperBound
            XCTAssertEqual(b.rowCount, rows, "committed rows are exactly the committed documents' rows")
            for column in TokenColumn.all.map(\.name) {
                XCTAssertEqual(try b.readIntegers(column: column, rows: 0..<rows), try a.readIntegers(column: column, rows: 0..<rows), column)
            }
            var x: [Float] = [], y: [Float] = []
            try a.readRows(column: hook, rows: 0..<rows, into: &x)
            try b.readRows(column: hook, rows: 0..<rows, into: &y)
            XCTAssertEqual(x, y, "the same batches before the failure give the same activations")
            XCTAssertEqual(try b.text(ofDocument: b.documentCount - 1), try a.text(ofDocument: b.documentCount - 1))
        }
        let report = StoreVerifier.verify(path: store)
        XCTAssertTrue(report.isSound, "\(report.problems)")

        // Space freed: the same command resumes from the committed cursor and finishes.
        try FileManager.default.removeItem(atPath: filler)
        let resumed = try ingest(store)
        XCTAssertFalse(resumed.interrupted)
        XCTAssertTrue(StoreVerifier.verify(path: store).isSound)
        let b = try StoreReader(path: store)
        XCTAssertEqual(b.documentCount, a.documentCount)
        XCTAssertEqual(b.rowCount, a.rowCount)
        for column in TokenColumn.all.map(\.name) {
            XCTAssertEqual(try b.readIntegers(column: column, rows: 0..<b.rowCount), try a.readIntegers(column: column, rows: 0..<a.rowCount), column)
        }
        var x: [Float] = [], y: [Float] = []
        try a.readRows(column: hook, rows: 0..<a.rowCount, into: &x)
        try b.readRows(column: hook, rows: 0..<b.rowCount, into: &y)
        XCTAssertLessThan(relativeMaxError(y, x), 1e-5, "same windows, batched differently after the resume")
        for doc in [0, a.documentCount / 2, a.documentCount - 1] {
            XCTAssertEqual(try b.text(ofDocument: doc), try a.text(ofDocument: doc))
        }
    }
}
