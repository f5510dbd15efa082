import Foundation

/// Headless Chromium (Debian's `chromium`) run once on a page, as the report's and the serve
/// page's browser tests drive it: a fresh profile, the page's console on stderr, and a virtual
/// time budget so timers run to completion without the test waiting in real time.
public struct HeadlessChromium: Sendable {
    /// The browser's executable.
    public let executable: String

    /// Finds Chromium: a skip locally when it is missing, a failure under CI=true (`ExternalTool`).
    public init() throws {
        executable = try ExternalTool.executable(["chromium", "chromium-browser"],
                                                 hint: "apt-get install chromium, or scripts/setup.sh --test-tools")
    }

    /// What one run printed: stdout (the DOM with `--dump-dom`) and the browser's log on stderr,
    /// where the page's console messages and uncaught errors appear as `CONSOLE(…)` lines.
    public struct Output: Sendable {
        /// Standard output.
        public var stdout: String
        /// Standard error: the browser's log.
        public var log: String

        /// The page's console lines (`console.log`/`error`, uncaught exceptions, failed loads).
        public var consoleLines: [String] { HeadlessChromium.consoleLines(log) }
    }

    /// The console lines of a browser log (`console.log`/`error`, uncaught exceptions, failed loads).
    public static func consoleLines(_ log: String) -> [String] {
        log.split(separator: "\n").map(String.init).filter { $0.contains(":CONSOLE(") || $0.contains("Uncaught") }
    }

    /// Runs Chromium on `arguments` (e.g. `["--dump-dom", url]`) with `virtualTimeBudgetMs` of
    /// virtual time, in a profile under `profileDirectory`, which the caller removes.
    public func run(_ arguments: [String], profileDirectory: String, virtualTimeBudgetMs: Int = 5000) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--user-data-dir=\(profileDirectory)",
                             "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
                             "--virtual-time-budget=\(virtualTimeBudgetMs)"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read stderr on another thread so neither pipe can fill and stall the browser.
        final class Box: @unchecked Sendable { var data = Data() }
        let log = Box()
        // The semaphore orders the reader's write of log.data before our read of it (polling
        // Thread.isFinished did not, and ThreadSanitizer reported the race).
        let readDone = DispatchSemaphore(value: 0)
        let reading = Thread {
            log.data = err.fileHandleForReading.readDataToEndOfFile()
            readDone.signal()
        }
        reading.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        readDone.wait()
        return Output(stdout: String(decoding: stdout, as: UTF8.self), log: String(decoding: log.data, as: UTF8.self))
    }
}
