import Foundation
import XCTest

/// The real tools some tests compare against (numpy, tensorboard, wandb, safetensors, Chromium, …).
/// Locally a missing tool skips the test with its install hint; under CI=true (CI sets it) it is a
/// failure, so CI can never pass by silently not running a check. Shared by every test target.
public enum ExternalTool {
    /// A missing tool under CI=true: thrown from the test, so XCTest records a failure.
    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Skips (locally) or fails (CI=true) with `what` and the install hint.
    public static func missing(_ what: String, hint: String) -> Error {
        let message = "\(what) (\(hint))"
        return isCI ? Missing(description: "CI=true and \(message): CI must run this check") : XCTSkip(message)
    }

    /// The Python the tests use: $SAESTORE_PYTHON, else `python3` on PATH.
    public static var python: String { ProcessInfo.processInfo.environment["SAESTORE_PYTHON"] ?? "python3" }

    /// `python` when it can import every module in `modules`; otherwise skips or fails.
    public static func python(importing modules: String..., hint: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", modules.map { "import \($0)" }.joined(separator: "; ")]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        var ok = false
        if (try? process.run()) != nil {
            process.waitUntilExit()
            ok = process.terminationStatus == 0
        }
        guard ok else {
            throw missing("\(python) cannot import \(modules.joined(separator: ", "))",
                          hint: hint ?? "pip install -r scripts/requirements-test.txt, or set SAESTORE_PYTHON")
        }
        return python
    }

    /// The first executable among `paths` (absolute, or a name looked up on PATH).
    public static func executable(_ paths: [String], hint: String) throws -> String {
        let searchPath = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for path in paths {
            let candidates = path.hasPrefix("/") ? [path] : searchPath.map { "\($0)/\(path)" }
            if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
        }
        throw missing("\(paths.joined(separator: " / ")) not found", hint: hint)
    }
}
