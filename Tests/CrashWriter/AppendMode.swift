// `crash-writer append STORE KILL_AT COLUMN=FILE...`: appends one part to a bare-rows store
// with RowAppend and SIGKILLs itself at a chosen point, so the crash tests know exactly
// what was on disk when it died. KILL_AT:
//   rows:N   once at least N rows are appended (chunks written, nothing committed)
//   commit   with every byte synced, just before the index transaction (the commit point)
//   manifest on a sharded store: after the last shard's commit, before shards.json is rewritten
//   never    runs to the end
// Exit status: 0 appended, 4 refused as a part already in the store, 1 any other error.
import ActStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

func runAppendMode(_ args: [String]) -> Never {
    guard args.count >= 3 else {
        FileHandle.standardError.write("usage: crash-writer append STORE KILL_AT COLUMN=FILE...\n".data(using: .utf8)!)
        exit(2)
    }
    let store = args[0], killAt = args[1]
    let files = args[2...].map { pair -> RowAppend.ColumnFile in
        let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
        return RowAppend.ColumnFile(column: parts[0], file: parts[1])
    }
    func die() { kill(getpid(), SIGKILL) }
    var killRows = Int.max
    if killAt.hasPrefix("rows:") { killRows = Int(killAt.dropFirst(5)) ?? Int.max }
    do {
        let result = try RowAppend.append(store: store, files: files, progress: { done, _ in
            if done >= killRows { die() }
        }, beforeCommit: {
            if killAt == "commit" { die() }
        }, beforeManifestWrite: {
            if killAt == "manifest" { die() }
        })
        print("appended \(result.rowCount) rows at \(result.firstRow)")
        exit(0)
    } catch let error as AppendError {
        FileHandle.standardError.write("crash-writer: \(error)\n".data(using: .utf8)!)
        if case .duplicatePart = error { exit(4) }
        exit(1)
    } catch {
        FileHandle.standardError.write("crash-writer: \(error)\n".data(using: .utf8)!)
        exit(1)
    }
}
