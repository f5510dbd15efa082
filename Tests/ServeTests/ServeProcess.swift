import Foundation
import TestTools
import XCTest

/// A running `saestore serve` and the URL it listens on.
final class ServeProcess {
    let process: Process
    let url: String
    init(process: Process, url: String) {
        self.process = process
        self.url = url
    }
}

struct StartFailed: Error, CustomStringConvertible { let description: String }

/// Starting the built binary, fetching from it with curl, running commands (the tests that
/// talk to a real server over a real socket).
protocol ServeProcessTesting: XCTestCase {}

extension ServeProcessTesting {
    /// The `saestore` executable beside the test bundle.
    func saestoreExecutable() throws -> String {
        // On Linux the bundle URL is the build directory itself; elsewhere the .xctest inside it.
        let bundle = Bundle(for: ServeFixture.self).bundleURL
        let dir = bundle.pathExtension == "xctest" ? bundle.deletingLastPathComponent() : bundle
        let path = dir.appendingPathComponent("saestore").path
        setenv("SAESTORE_BLAS_AUTO", "0", 0)
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ExternalTool.missing("saestore not built at \(path)", hint: "swift build --build-tests")
        }
        return path
    }

    /// Starts `saestore serve ARGS --port 0` and waits for its "listening on" line.
    func start(_ arguments: [String]) throws -> ServeProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try saestoreExecutable())
        process.arguments = ["serve"] + arguments + ["--port", "0"]
        let out = Pipe()
        process.standardOutput = out
        let log = NSTemporaryDirectory() + "serve-log-\(UUID().uuidString.prefix(8))"
        FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        addTeardownBlock {
            if process.isRunning { process.interrupt() }
            process.waitUntilExit()
            try? FileManager.default.removeItem(atPath: log)
        }
        var line = Data()
        let deadline = Date().addingTimeInterval(120)
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty {
                guard process.isRunning, Date() < deadline else {
                    let errors = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                    throw StartFailed(description: "saestore serve \(arguments) exited or never listened; stdout: \(String(decoding: line, as: UTF8.self)) stderr: \(errors.suffix(2000))")
                }
                continue
            }
            line += chunk
        }
        let text = String(decoding: line, as: UTF8.self)
        let url = try XCTUnwrap(text.range(of: #"http://[^ \n]+"#, options: .regularExpression).map { String(text[$0]) }, text)
        return ServeProcess(process: process, url: url)
    }

    /// curl's status and body.
    func curl(_ arguments: [String]) throws -> (status: Int, body: Data) {
        let curl = try ExternalTool.executable(["curl"], hint: "apt-get install curl, or scripts/setup.sh --test-tools")
        let result = try run(curl, ["-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "60"] + arguments)
        var body = result.stdout
        let newline = try XCTUnwrap(body.lastIndex(of: UInt8(ascii: "\n")))
        let status = Int(String(decoding: body[(newline + 1)...], as: UTF8.self)) ?? -1
        body = body[..<newline]
        return (status, Data(body))
    }

    func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: Data, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, data, String(decoding: errors, as: UTF8.self))
    }

}
