import ActStore
import Foundation
import XCTest

/// The first half of the research loop the family CLI tests share: `ingest --model DIR` of the
/// fixture's corpus.jsonl at `hook` (--context 16, f32), then `train` of a small SAE on every
/// row (3 epochs, batch 16, expansion 2, no held-out rows). Returns the store, the run and the
/// store's row count.
func ingestAndTrain(_ test: XCTestCase, model: String, hook: String, name: String,
                    file: StaticString = #filePath, line: UInt = #line) throws -> (store: String, run: String, rowCount: Int) {
    let store = temporaryPath(test, "\(name)-store") + ".store"
    let run = temporaryPath(test, "\(name)-run")
    let ingest = try saestore(["ingest", "--model", model, "--corpus", model + "/corpus.jsonl", "--store", store,
                               "--hook", hook, "--context", "16", "--dtype", "f32", "--quiet"])
    XCTAssertEqual(ingest.status, 0, ingest.stderr, file: file, line: line)
    let rowCount = try StoreReader(path: store).rowCount
    let train = try saestore(["train", "--store", store, "--hook", hook, "--out", run, "--epochs", "3", "--batch", "16",
                              "--expansion", "2", "--holdout", "0", "--quiet"])
    XCTAssertEqual(train.status, 0, train.stderr, file: file, line: line)
    return (store, run, rowCount)
}
