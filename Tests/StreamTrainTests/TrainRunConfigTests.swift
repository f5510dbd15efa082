import XCTest
@testable import StreamTrain

/// The rules `saestore train` takes from the library: the stream count a run trains with and
/// its dead-latent window.
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
}
