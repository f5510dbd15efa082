import ActStore
import Foundation
import StreamTrain

/// Which SAE the results came from: its directory, a hash of its files, and its shape.
public struct SAEIdentity: Codable, Sendable, Equatable {
    /// The SAELens directory (cfg.json, sae_weights.safetensors), absolute.
    public var path: String
    /// CRC-32C of cfg.json, then of sae_weights.safetensors, hex.
    public var hash: String
    /// "standard", "tied" or "topk".
    public var architecture: String
    /// Input width: the activation column's width (cfg.json `d_in`).
    public var dIn: Int
    /// Latent count, the dictionary size (cfg.json `d_sae`).
    public var dSAE: Int
    /// Latents kept per row (topk only).
    public var k: Int
    /// cfg.json's metadata.hook_name, when present.
    public var hookName: String?
    /// cfg.json's metadata.model_name, when present.
    public var modelName: String?
    /// stat(2) of the hashed files, taken before hashing them (nil in older results): while
    /// they still match, the files are the hashed ones and need not be read again.
    public var fileStamps: [FileStamp]?

    static let fileNames = ["cfg.json", "sae_weights.safetensors"]

    /// Stamps and hashes cfg.json and sae_weights.safetensors in `directory` (stamps first, so a
    /// write during hashing is caught later) and copies shape and metadata from `loaded`.
    /// Throws `FeaturesError.invalidArgument` when either file cannot be read.
    public init(directory: URL, loaded: SAELensSAE) throws {
        path = directory.standardizedFileURL.path
        // Stamps first: a write during hashing changes the stamp, so it is caught later.
        fileStamps = SAEIdentity.stamps(directory: directory)
        hash = try SAEIdentity.hash(directory: directory)
        architecture = loaded.sae.architecture.rawValue
        dIn = loaded.sae.dIn
        dSAE = loaded.sae.dSAE
        k = loaded.sae.k
        hookName = loaded.metadata.hookName
        modelName = loaded.metadata.modelName
    }

    /// Hashes the two files that define the SAE (streamed: weights can be large).
    public static func hash(directory: URL) throws -> String {
        var parts: [String] = []
        for name in fileNames {
            let path = directory.appendingPathComponent(name).path
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw FeaturesError.invalidArgument("cannot read \(path)")
            }
            defer { try? handle.close() }
            var crc: UInt32 = 0
            while let block = try handle.read(upToCount: 1 << 22), !block.isEmpty {
                crc = block.withUnsafeBytes { CRC32C.checksum($0, seed: crc) }
            }
            parts.append(String(format: "%08x", crc))
        }
        return parts.joined(separator: "-")
    }

    static func stamps(directory: URL) -> [FileStamp]? {
        let stamps = fileNames.compactMap { FileStamp.of(directory: directory.path, name: $0) }
        return stamps.count == fileNames.count ? stamps : nil
    }

    /// Whether the SAE files in `directory` are the ones this identity describes: by their
    /// stamps when those match (a stat per file, no read), else by hashing them again (a
    /// moved or copied SAE has other stamps but the same hash). Returns the hash found when
    /// they differ, nil when they are the same files.
    public func changedHash(directory: URL) throws -> String? {
        if let fileStamps, SAEIdentity.stamps(directory: directory) == fileStamps { return nil }
        let found = try SAEIdentity.hash(directory: directory)
        return found == hash ? nil : found
    }
}
