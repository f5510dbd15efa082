import Foundation

/// Verdicts of kernel selection, one per machine identity (CPU signature, brand and features,
/// OpenBLAS build, OpenBLAS's own choice), in `DIR/blas-kernels.json`, so the self-checks run
/// once per machine and library version and later runs only read a small file.
public struct KernelVerdictCache {
    /// The directory holding the cache file.
    public let directory: String
    /// The cache file.
    public var path: String { (directory as NSString).appendingPathComponent("blas-kernels.json") }

    /// `directory`, or `${XDG_CACHE_HOME:-$HOME/.cache}/saestore` from `environment`.
    public init(directory: String? = nil, environment: [String: String]) {
        if let directory {
            self.directory = directory
        } else if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            self.directory = (xdg as NSString).appendingPathComponent("saestore")
        } else {
            let home = environment["HOME"] ?? NSHomeDirectory()
            self.directory = (home as NSString).appendingPathComponent(".cache/saestore")
        }
    }

    /// The key of this machine: what the verdict depends on, and nothing that changes between runs.
    public static func key(cpu: CPUFeatures, openBLASBuild: String, openBLASCore: String) -> String {
        "\(cpu.vendor) 0x\(String(cpu.signature, radix: 16)) \(cpu.brand) [\(cpu.featureNames.joined(separator: " "))"
            + "\(cpu.osSavesZMM ? " zmm" : "")\(cpu.osSavesYMM ? " ymm" : "")] | \(openBLASBuild) | chose \(openBLASCore)"
    }

    /// The stored verdict for `key`; nil when there is none or the file cannot be read as a cache
    /// (then the next `store` rewrites it: it holds nothing that cannot be recomputed).
    public func verdict(for key: String) -> KernelDecision? {
        guard let data = FileManager.default.contents(atPath: path),
              let entries = try? JSONDecoder().decode([String: KernelDecision].self, from: data) else { return nil }
        return entries[key]
    }

    /// Adds `decision` under `key`, written to a temporary file and renamed over the cache so a
    /// concurrent reader sees the old or the new file, never half of one.
    public func store(_ decision: KernelDecision, for key: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var entries: [String: KernelDecision] = [:]
        if let data = FileManager.default.contents(atPath: path),
           let old = try? JSONDecoder().decode([String: KernelDecision].self, from: data) { entries = old }
        entries[key] = decision
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let temporary = path + ".\(getpid()).tmp"
        try encoder.encode(entries).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            let message = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "rename into \(path): \(message)"])
        }
    }
}
