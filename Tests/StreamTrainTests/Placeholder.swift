import XCTest
@testable import StreamTrain
