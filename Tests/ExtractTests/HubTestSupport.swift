import Foundation
import XCTest
@testable import Extract
import TestTools

/// Scratch directories and the local stand-in hub server (Support/hub_server.py) for the
/// Hub tests.
enum HubTestSupport {
    static let supportDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Support")

    static func temporaryDirectory(_ test: XCTestCase) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hub-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        // Resolve /tmp symlinks so path comparisons are exact.
        return url.resolvingSymlinksInPath().path
    }

    static func write(_ path: String, _ contents: String) throws {
        try write(path, Data(contents.utf8))
    }

    static func write(_ path: String, _ data: Data) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Deterministic pseudo-random bytes (xorshift), so downloads have content worth checking.
    static func bytes(count: Int, seed: UInt64) -> Data {
        var state = seed | 1
        var out = [UInt8](repeating: 0, count: count)
        for i in 0..<count {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            out[i] = UInt8(truncatingIfNeeded: state >> 24)
        }
        return Data(out)
    }

    /// Runs `body` and returns the HubError it throws, failing the test otherwise.
    static func expectHubError(file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) -> HubError? {
        do {
            try body()
            XCTFail("expected a HubError, nothing was thrown", file: file, line: line)
        } catch let error as HubError {
            XCTAssertTrue(error.description.contains("Hint:"), "no hint in: \(error)", file: file, line: line)
            return error
        } catch {
            XCTFail("expected a HubError, got \(error)", file: file, line: line)
        }
        return nil
    }
}

/// The stand-in hub: a python3 (stdlib only) process serving `root`, stopped by `stop()`.
final class HubTestServer {
    let root: String
    let port: Int
    private let process: Process

    var endpoint: String { "http://127.0.0.1:\(port)" }

    init(root: String) throws {
        self.root = root
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [try ExternalTool.python(importing: "http.server"), HubTestSupport.supportDirectory.appendingPathComponent("hub_server.py").path, root]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process

        // The server prints its port first; give it 10 s.
        let portLine = PortLine()
        let handle = stdout.fileHandleForReading
        DispatchQueue.global().async {
            var data = Data()
            while !data.contains(UInt8(ascii: "\n")) {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                data += chunk
            }
            portLine.set(String(decoding: data, as: UTF8.self))
        }
        guard portLine.wait(seconds: 10), let port = Int(portLine.value.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw ExternalTool.missing("python3 hub_server.py printed no port within 10 s", hint: "needs python3 with its standard library")
        }
        self.port = port
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }

    /// Requests seen so far, one "METHOD PATH RANGE" per line.
    var requests: [String] {
        let text = (try? String(contentsOfFile: (root as NSString).appendingPathComponent("requests.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    private final class PortLine: @unchecked Sendable {
        private let semaphore = DispatchSemaphore(value: 0)
        private(set) var value = ""
        func set(_ text: String) { value = text; semaphore.signal() }
        func wait(seconds: Double) -> Bool { semaphore.wait(timeout: .now() + seconds) == .success }
    }
}
