import XCTest
@testable import Extract
