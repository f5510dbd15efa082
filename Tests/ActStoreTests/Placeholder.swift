import XCTest
@testable import ActStore
