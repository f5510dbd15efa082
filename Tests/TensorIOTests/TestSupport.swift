import Foundation
import XCTest
@testable import TensorIO

/// Paths and scratch directories shared by the TensorIO tests.
enum TestSupport {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A committed fixture (made by scripts/fixtures/tensorio_fixtures.py), read by path.
    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent(name).path
    }

    /// ../shared/data/<relative>, or an XCTSkip when the shared data is absent (e.g. in CI).
    static func sharedData(_ relative: String) throws -> String {
        let path = packageRoot.appendingPathComponent("../shared/data").appendingPathComponent(relative).standardized.path
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("shared data not present: \(path)") }
        return path
    }

    /// A fresh empty directory, removed when the test finishes.
    static func temporaryDirectory(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tensorio-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Runs `body` and returns the TensorIOError it throws, failing the test if it throws
    /// something else or nothing. The message is checked to name the file.
    static func expectError(path: String, file: StaticString = #filePath, line: UInt = #line,
                            _ body: () throws -> Void) -> TensorIOError? {
        do {
            try body()
            XCTFail("expected a TensorIOError, but nothing was thrown", file: file, line: line)
        } catch let error as TensorIOError {
            XCTAssertTrue(error.description.contains(path), "message does not name \(path): \(error)", file: file, line: line)
            XCTAssertTrue(error.description.contains("Hint:"), "message has no hint: \(error)", file: file, line: line)
            return error
        } catch {
            XCTFail("expected a TensorIOError, got \(error)", file: file, line: line)
        }
        return nil
    }
}
