import ActStore
import ArgumentParser
import Foundation

/// `saestore shards STORE SHARD…`: joins shard stores into one sharded store (STORE/shards.json).
struct ShardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shards",
        abstract: "Write STORE/shards.json so that every command reads the shard stores as one store, in the order given.",
        discussion: """
            Shards must have the same columns, model and windows. Global rows, documents and chunks \\
            are numbered through the shards in order. Rerun it after a shard changes (a resumed \\
            ingest): readers refuse a shard whose size differs from the manifest. Relative shard \\
            paths are resolved against STORE.
            """)

    @Argument(help: "Sharded store directory (created if missing).") var store: String
    @Argument(help: "Shard store directories, in order.") var shards: [String]

    func run() throws {
        let base = URL(fileURLWithPath: store).standardizedFileURL.path
        // Paths inside STORE are written relative to it, so the whole directory can move.
        let listed = shards.map { path -> String in
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            return absolute.hasPrefix(base + "/") ? String(absolute.dropFirst(base.count + 1)) : absolute
        }
        let manifest = try ShardManifest.write(directory: store, shardPaths: listed)
        for shard in manifest.shards { print("\(shard.path): \(shard.rowCount) rows, \(shard.documentCount) documents") }
        print("\(store): \(manifest.shards.reduce(0) { $0 + $1.rowCount }) rows in \(manifest.shards.count) shards")
    }
}
