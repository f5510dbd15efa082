import XCTest
@testable import StreamTrain

/// The rules `saestore train` takes from the library: the stream count a run trains with, the
/// rows a resumed run keeps, and its dead-latent window.
final class TrainRunConfigTests: XCTestCase {
    private func saved(streamCount: Int?) -> TrainRunConfig {
        TrainRunConfig(store: "s.store", loader: StreamLoaderConfig(column: "blocks.0.hook_resid_pre"),
                       sae: SAEConfig(architecture: .tied, dIn: 4), trainer: SAETrainerOptions(), stream: true,
                       streamCount: streamCount)
    }

    func testExplicitStreamsWinOverTheSavedRunAndTheRankCount() {
        XCTAssertEqual(TrainRunConfig.streamCount(explicit: 5, saved: nil, rankCount: 1), 5)
        XCTAssertEqual(TrainRunConfig.streamCount(explicit: 5, saved: saved(streamCount: 2), rankCount: 4), 5)
        XCTAssertEqual(TrainRunConfig.streamCount(explicit: 1, saved: nil, rankCount: 1), 1)
    }

    func testAResumedRunKeepsItsStreamCountOnAnyRankCount() {
        XCTAssertEqual(TrainRunConfig.streamCount(explicit: nil, saved: saved(streamCount: 4), rankCount: 1), 4)
        XCTAssertEqual(TrainRunConfig.streamCount(explicit: nil, saved: saved(streamCount: 4), rankCount: 2), 4)
    }

    func testWithoutStreamsOneRankUsesThePlainLoaderAndSeveralRanksOneStreamEach() {
        XCTAssertNil(TrainRunConfig.streamCount(explicit: nil, saved: nil, rankCount: 1))
        XCTAssertNil(TrainRunConfig.streamCount(explicit: nil, saved: saved(streamCount: nil), rankCount: 1))
        XCTAssertEqual(TrainRunConfig.streamCount(explicit: nil, saved: nil, rankCount: 3), 3)
        XCTAssertEqual(TrainRunConfig.streamCount(explicit: nil, saved: saved(streamCount: nil), rankCount: 2), 2)
    }

    func testTheDeadWindowIsTheExplicitOneElseOneEpochCappedAtOneMillionRows() {
        XCTAssertEqual(SAETrainerOptions.windowTokens(explicit: 777, rowsPerEpoch: 10), 777)
        XCTAssertEqual(SAETrainerOptions.windowTokens(explicit: nil, rowsPerEpoch: 5_000), 5_000)
        XCTAssertEqual(SAETrainerOptions.windowTokens(explicit: nil, rowsPerEpoch: 3_000_000), 1_000_000)
    }

    /// A resumed run keeps its own rows and holdout unless --rows or --holdout is given again,
    /// even on a store that has grown; an open-ended saved range ends at the store's end now.
    func testAResumedRunKeepsItsOwnRowsUnlessToldOtherwise() {
        var run = saved(streamCount: nil)
        run.loader.firstRow = 10
        run.loader.endRow = 900
        run.heldOutRows = 900..<1000
        let given: (training: Range<Int>?, heldOut: Range<Int>?) = (0..<1980, 1980..<2000)
        let kept = TrainRunConfig.rows(given: given, rowsGiven: false, saved: run, storeRowCount: 2000)
        XCTAssertEqual(kept.training, 10..<900)
        XCTAssertEqual(kept.heldOut, 900..<1000)
        let told = TrainRunConfig.rows(given: given, rowsGiven: true, saved: run, storeRowCount: 2000)
        XCTAssertEqual(told.training, 0..<1980)
        XCTAssertEqual(told.heldOut, 1980..<2000)
        let fresh = TrainRunConfig.rows(given: given, rowsGiven: false, saved: nil, storeRowCount: 2000)
        XCTAssertEqual(fresh.training, 0..<1980)
        run.loader.endRow = nil
        XCTAssertEqual(TrainRunConfig.rows(given: given, rowsGiven: false, saved: run, storeRowCount: 2000).training, 10..<2000)
        run.loader.firstRow = nil
        run.loader.endRow = 50
        XCTAssertEqual(TrainRunConfig.rows(given: given, rowsGiven: false, saved: run, storeRowCount: 2000).training, 0..<50)
        run.loader.endRow = nil
        XCTAssertNil(TrainRunConfig.rows(given: given, rowsGiven: false, saved: run, storeRowCount: 2000).training, "a saved run over all rows")
    }
}
