import Foundation

/// A one-line progress display on standard error: count, rate, ETA. Drawn only when
/// stderr is a terminal and --quiet is off, so pipes and logs stay clean.
final class Progress {
    private let label: String
    private let unit: String
    private let enabled: Bool
    private let start = ContinuousClock.now
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private var drewSomething = false

    init(_ label: String, unit: String = "rows", quiet: Bool) {
        self.label = label
        self.unit = unit
        enabled = !quiet && isatty(STDERR_FILENO) != 0
    }

    var elapsedSeconds: Double { (ContinuousClock.now - start).seconds }

    func update(_ done: Int, of total: Int?, extra: String = "") {
        guard enabled else { return }
        let now = ContinuousClock.now
        guard now - lastDraw >= .milliseconds(200) || done == total else { return }
        lastDraw = now
        let seconds = max((now - start).seconds, 1e-9)
        let rate = Double(done) / seconds
        var line = "\(label): \(Self.count(done))"
        if let total, total > 0 {
            line += "/\(Self.count(total)) (\(Int(100 * Double(done) / Double(total)))%)"
        }
        line += "  \(Self.count(Int(rate))) \(unit)/s"
        if let total, rate > 0, done < total {
            line += "  ETA \(Self.duration(Double(total - done) / rate))"
        }
        if !extra.isEmpty { line += "  \(extra)" }
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
        drewSomething = true
    }

    func finish() {
        guard enabled, drewSomething else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }

    static func count(_ n: Int) -> String {
        switch n {
        case ..<10_000: return "\(n)"
        case ..<10_000_000: return String(format: "%.1fK", Double(n) / 1e3)
        default: return String(format: "%.1fM", Double(n) / 1e6)
        }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }

    static func bytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
    }
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}

/// Prints an Encodable as pretty JSON on stdout (for --json).
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
