import Foundation
import XCTest

/// max |actual − expected| / max |expected|: one number per tensor, insensitive to the
/// tensor's scale and not blown up by elements that happen to be near zero.
func relativeMaxError(_ actual: [Float], _ expected: [Float]) -> Float {
    precondition(actual.count == expected.count, "length \(actual.count) vs \(expected.count)")
    var maxDiff: Float = 0, maxValue: Float = 0
    for i in 0..<actual.count {
        maxDiff = max(maxDiff, abs(actual[i] - expected[i]))
        maxValue = max(maxValue, abs(expected[i]))
    }
    if actual.contains(where: { !$0.isFinite }) { return .infinity }
    return maxValue == 0 ? maxDiff : maxDiff / maxValue
}

/// The package root, found from this file's path (Tests/ExtractTests/<file>).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

let fixturesDirectory = packageRoot.appendingPathComponent("Tests/ExtractTests/Fixtures")

/// ../shared/data beside the package root; tests needing it skip when it is absent.
func sharedData(_ relativePath: String) throws -> URL {
    let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/\(relativePath)")
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw XCTSkip("\(url.path) not present")
    }
    return url
}
