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

    /// `node --check` on `script` written to a .js file (node picks the parser by the name):
    /// its exit status and what it printed on standard error.
    private func nodeCheck(_ script: String, name: String) throws -> (status: Int32, errors: String) {
        let node = try ExternalTool.executable(["node", "nodejs"], hint: "apt-get install nodejs, or scripts/setup.sh --test-tools")
        let file = URL(fileURLWithPath: temporaryPath(self, name) + ".js")
        addTeardownBlock { try? FileManager.default.removeItem(at: file) }
        try Data(script.utf8).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: node)
        process.arguments = ["--check", file.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, message)
    }

    /// The embedded text, written out, so the check covers what the report ships.
    func testReportScriptParsesAsJavaScript() throws {
        let (status, errors) = try nodeCheck(ReportAssets.js, name: "report")
        XCTAssertEqual(status, 0, "node --check report.js: \(errors)")
    }

    /// The check can fail: a script with a syntax error is refused by the same call.
    func testNodeCheckRefusesABrokenScript() throws {
        let (status, errors) = try nodeCheck(ReportAssets.js + "\n}{", name: "broken")
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(errors.contains("SyntaxError"), errors)
    }
}
