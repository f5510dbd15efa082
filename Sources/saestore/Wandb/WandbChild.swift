import Foundation
import StreamTrain

/// The `wandb` Python client as a child process (scripts/wandb_stream.py --stdin) that the train
/// command feeds metrics records, one JSON line each, exactly as metrics.jsonl holds them. The
/// writes happen on a serial queue, so a slow or stalled child never stalls training; the child
/// ignores Ctrl-C and ends on end of input (a killed trainer closes it too).
final class WandbChild {
    private let process: Process
    private let input: FileHandle
    private let queue = DispatchQueue(label: "saestore.wandb")
    private var writeFailed = false
    private let runPath: String

    /// The interpreter: $SAESTORE_PYTHON, else python3 on PATH.
    static var python: String { ProcessInfo.processInfo.environment["SAESTORE_PYTHON"] ?? "python3" }

    /// A fresh W&B run id (8 characters from [a-z0-9], as wandb makes them).
    static func newRunID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<8).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
    }

    /// scripts/wandb_stream.py: $SAESTORE_WANDB_SCRIPT, else scripts/ in a directory above the
    /// executable (a checkout's .build/…/saestore), share/saestore/ beside its bin/ (an install),
    /// else the checkout this binary was built from.
    static func locateScript() throws -> String {
        let fm = FileManager.default
        if let explicit = ProcessInfo.processInfo.environment["SAESTORE_WANDB_SCRIPT"] {
            guard fm.fileExists(atPath: explicit) else { throw WandbError.scriptNotFound(searched: [explicit]) }
            return explicit
        }
        var searched: [String] = []
        let executable = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        for _ in 0..<6 {
            searched.append(directory.appendingPathComponent("scripts/wandb_stream.py").path)
            directory = directory.deletingLastPathComponent()
        }
        searched.append(executable.deletingLastPathComponent().appendingPathComponent("../share/saestore/wandb_stream.py").standardized.path)
        let source = URL(fileURLWithPath: #filePath)  // Sources/saestore/Wandb/WandbChild.swift
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        searched.append(source.appendingPathComponent("scripts/wandb_stream.py").path)
        guard let found = searched.first(where: { fm.fileExists(atPath: $0) }) else { throw WandbError.scriptNotFound(searched: searched) }
        return found
    }

    /// Fails before training when the script or the wandb client is missing.
    static func check(script: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script, "--check"]
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        do { try process.run() } catch { throw WandbError.pythonMissing(python: python) }
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        switch process.terminationStatus {
        case 0: return
        case 127: throw WandbError.pythonMissing(python: python)
        default: throw WandbError.clientMissing(python: python, message: message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Starts the child for `run` (the run directory) logging to W&B run `runID`. Its output
    /// goes to standard error (standard output stays the command's, e.g. --json).
    init(script: String, run: String, runID: String, arguments: WandbArguments) throws {
        signal(SIGPIPE, SIG_IGN)  // a dead child must turn writes into errors, not kill training
        var childArguments = [Self.python, script, run, "--stdin", "--id", runID, "--project", arguments.wandbProject]
        if let entity = arguments.wandbEntity { childArguments += ["--entity", entity] }
        if let name = arguments.wandbName { childArguments += ["--name", name] }
        var environment = ProcessInfo.processInfo.environment
        // wandb's banner and sync chatter would break the progress line; its errors still show.
        if environment["WANDB_SILENT"] == nil { environment["WANDB_SILENT"] = "true" }
        let pipe = Pipe()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = childArguments
        process.environment = environment
        process.standardInput = pipe
        process.standardOutput = FileHandle.standardError
        process.standardError = FileHandle.standardError
        do { try process.run() } catch { throw WandbError.pythonMissing(python: Self.python) }
        input = pipe.fileHandleForWriting
        runPath = run
    }

    /// Queues one metrics record.
    func send(_ metrics: TrainingMetrics) {
        write(MetricsJSONLWriter.line(metrics))
    }

    /// Ends the input (with the "done" line when training finished, so the child uploads the
    /// export and finishes the W&B run as successful) and waits for the child.
    func finish(completed: Bool) throws {
        if completed { write(#"{"saestore":"done"}"#) }
        queue.sync { try? input.close() }
        process.waitUntilExit()
        if completed, writeFailed || process.terminationStatus != 0 {
            throw WandbError.childFailed(status: process.terminationStatus, run: runPath)
        }
    }

    private func write(_ line: String) {
        queue.async { [self] in
            guard !writeFailed else { return }
            do { try input.write(contentsOf: Data((line + "\n").utf8)) } catch { writeFailed = true }
        }
    }
}
