import Foundation
import XCTest
@testable import FeatureAnalysis
import TestTools

/// The report's script and stylesheet are plain files (Sources/FeatureAnalysis/Assets) that the
/// EmbedAssets plugin compiles in: what the binary writes is those files, and the script is valid
/// JavaScript to node's own parser.
final class ReportAssetsTests: XCTestCase {
    private var assetsFolder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/FeatureAnalysis/Assets")
    }

    /// A file's text as embedded: without its final newline (the generated literal drops it).
    private func embeddedText(of name: String) throws -> String {
        var text = try String(contentsOf: assetsFolder.appendingPathComponent(name), encoding: .utf8)
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    func testTheBinaryCarriesTheAssetFilesExactly() throws {
        XCTAssertEqual(ReportAssets.js, try embeddedText(of: "report.js"))
        XCTAssertEqual(ReportAssets.css, try embeddedText(of: "report.css"))
        XCTAssertGreaterThan(ReportAssets.js.utf8.count, 4000, "the whole script, not a stub")
    }

    func testReportScriptParsesAsJavaScript() throws {
        let node = try ExternalTool.executable(["node", "nodejs"], hint: "apt-get install nodejs, or scripts/setup.sh --test-tools")
        // The embedded text, written out, so the check covers what the report ships.
        let file = URL(fileURLWithPath: temporaryPath(self, "report") + ".js")
        addTeardownBlock { try? FileManager.default.removeItem(at: file) }
        try Data(ReportAssets.js.utf8).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: node)
        process.arguments = ["--check", file.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "node --check report.js: \(message)")
    }

    /// The check can fail: a script with a syntax error is refused by the same call.
    func testNodeCheckRefusesABrokenScript() throws {
        let node = try ExternalTool.executable(["node", "nodejs"], hint: "apt-get install nodejs, or scripts/setup.sh --test-tools")
        let file = URL(fileURLWithPath: temporaryPath(self, "broken") + ".js")
        addTeardownBlock { try? FileManager.default.removeItem(at: file) }
        try Data((ReportAssets.js + "\n}{").utf8).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: node)
        process.arguments = ["--check", file.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertNotEqual(process.terminationStatus, 0)
        XCTAssertTrue(message.contains("SyntaxError"), message)
    }
}
