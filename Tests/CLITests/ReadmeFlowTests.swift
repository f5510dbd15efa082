import Foundation
import TestTools
import XCTest

/// The README's "Day to day" block, run as written through the built binary on the bundled
/// demo model and the start of the demo corpus (substituted for gpt2 and OpenWebText, and the
/// demo model's layer-2 hook for layer 6, which a 4-layer model does not have). The block is
/// read from README.md itself, so a README command that stops working fails this test.
final class ReadmeFlowTests: XCTestCase {
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The commands of the first ```sh block after "## Day to day", comments removed.
    static func dayToDayCommands(readme: String) throws -> [String] {
        guard let section = readme.range(of: "## Day to day") else { throw ReadmeError("README.md has no \"## Day to day\" section") }
        let rest = readme[section.upperBound...]
        guard let open = rest.range(of: "```sh\n"), let close = rest[open.upperBound...].range(of: "```") else {
            throw ReadmeError("the Day to day section has no ```sh block")
        }
        return rest[open.upperBound..<close.lowerBound].split(separator: "\n").compactMap { line in
            // A comment starts a line or follows the command after spaces.
            let command = line.replacingOccurrences(of: #"(^|\s+)#.*$"#, with: "", options: .regularExpression)
                .trimmingCharacters(in: .whitespaces)
            return command.isEmpty ? nil : command
        }
    }

    struct ReadmeError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    func testTheDayToDayBlockRunsAsWrittenOnTheDemoModel() throws {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let commands = try Self.dayToDayCommands(readme: readme)
        XCTAssertGreaterThanOrEqual(commands.filter { $0.hasPrefix("saestore ") }.count, 9, "the block lost commands: \(commands)")

        let work = temporaryPath(self, "readme")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        // ~760 tokens of the held-out Shakespeare: six 128-token windows, so training, the
        // default 1% holdout (one window) and the 4-SAE sweep take seconds.
        let corpus = try Data(contentsOf: root.appendingPathComponent("demo/corpus/tinyshakespeare-heldout.txt")).prefix(2_500)
        try corpus.write(to: URL(fileURLWithPath: work + "/demo.txt"))
        let substitutions = [("--model gpt2", "--model " + root.appendingPathComponent("demo/model").path),
                             ("owt.jsonl.zst", "demo.txt"), ("blocks.6.hook_resid_pre", "blocks.2.hook_resid_pre")]

        for line in commands {
            var command = line
            for (from, to) in substitutions { command = command.replacingOccurrences(of: from, with: to) }
            let words = command.split(separator: " ").map(String.init)
            guard words.first == "saestore" else {
                // `tensorboard --logdir …` starts a server; what it reads must exist.
                if words.first == "tensorboard", let dir = words.last {
                    let events = try FileManager.default.contentsOfDirectory(atPath: work + "/" + dir)
                    XCTAssertTrue(events.contains { $0.hasPrefix("events.out.tfevents") }, "\(line): no event file in \(dir)")
                    continue
                }
                XCTFail("the Day to day block runs \(line), which this test does not know how to check")
                continue
            }
            let result = try runProcess(try saestoreExecutable(), Array(words.dropFirst()), workingDirectory: work)
            XCTAssertEqual(result.status, 0, "README command failed: \(line)\n(run as: \(command))\nstdout: \(result.stdout.suffix(1500))\nstderr: \(result.stderr.suffix(1500))")
            if result.status != 0 { return }
        }
        for file in ["owt.store", "runs/l6/sae/cfg.json", "runs/l6/features/index.html", "runs/l6/evaluation.json", "runs/sweep/sweep.md"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/" + file), file)
        }
        try checkServeCommand(readme: readme, substitutions: substitutions, work: work)
    }

    /// The "Explore it live" command, run as written (the same substitutions) on what the
    /// block above made, on a free port: it listens, and /rows/500 is what `lookup` prints.
    private func checkServeCommand(readme: String, substitutions: [(String, String)], work: String) throws {
        guard let section = readme.range(of: "### Explore it live"),
              let open = readme[section.upperBound...].range(of: "```sh\n"),
              let close = readme[open.upperBound...].range(of: "```") else {
            return XCTFail("README.md has no ```sh block under \"### Explore it live\"")
        }
        let lines = try Self.dayToDayCommands(readme: "## Day to day\n```sh\n" + readme[open.upperBound..<close.lowerBound] + "```\n")
        XCTAssertEqual(lines.count, 1, "one serve command: \(lines)")
        var command = try XCTUnwrap(lines.first)
        for (from, to) in substitutions { command = command.replacingOccurrences(of: from, with: to) }
        let words = command.split(separator: " ").map(String.init)
        XCTAssertEqual(Array(words.prefix(2)), ["saestore", "serve"])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try saestoreExecutable())
        process.arguments = Array(words.dropFirst()) + ["--port", "0"]
        process.currentDirectoryURL = URL(fileURLWithPath: work)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning { process.interrupt() }
            process.waitUntilExit()
        }
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty && !process.isRunning { return XCTFail("\(command) exited: \(String(decoding: line, as: UTF8.self))") }
            line += chunk
        }
        let text = String(decoding: line, as: UTF8.self)
        let url = try XCTUnwrap(text.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression).map { String(text[$0]) }, text)
        let curl = try ExternalTool.executable(["curl"], hint: "apt-get install curl, or scripts/setup.sh --test-tools")
        let served = try runProcess(curl, ["-s", "--fail", "--max-time", "60", url + "/rows/500?window=12"])
        XCTAssertEqual(served.status, 0, "GET /rows/500 failed")
        let lookup = try runProcess(try saestoreExecutable(), ["lookup", "owt.store", "--row", "500", "--window", "12", "--json"], workingDirectory: work)
        func object(_ json: String) -> NSDictionary? { try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? NSDictionary }
        XCTAssertEqual(object(served.stdout), object(lookup.stdout), "GET /rows/500 is not what lookup prints")
        XCTAssertNotNil(object(served.stdout))
        let features = try runProcess(curl, ["-s", "--fail", "--max-time", "60", url + "/features?limit=1"])
        XCTAssertEqual(features.status, 0, "GET /features failed")
    }

    func testCommentsAreStrippedAndCommandsKept() throws {
        let readme = "## Day to day\n\n```sh\n# 1. a comment\nsaestore info owt.store      # rows\n\nsaestore verify owt.store\n```\n"
        XCTAssertEqual(try Self.dayToDayCommands(readme: readme), ["saestore info owt.store", "saestore verify owt.store"])
    }
}
