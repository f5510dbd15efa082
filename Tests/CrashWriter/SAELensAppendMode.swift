// `crash-writer saelens-append STORE KILL_AT CACHE MODEL_DIR`: appends a SAELens activation
// cache (a directory or one .arrow shard) to a store of documents with
// SAELensCacheImporter.appendCache, decoding token ids with MODEL_DIR's tokenizer, and SIGKILLs
// itself at a chosen point, as `append` does for bare rows (AppendMode.swift). KILL_AT:
//   sequences:N  once N sequences are written (documents and rows in the segment, nothing committed)
//   commit       with every byte synced, just before the index transaction (the commit point)
//   never        runs to the end
// Exit status: 0 appended, 4 refused as a part already in the store, 1 any other error.
import ActStore
import Extract
import Foundation
#if canImport(Glibc)
import Glibc
#endif

func runSAELensAppendMode(_ args: [String]) -> Never {
    guard args.count == 4 else {
        FileHandle.standardError.write("usage: crash-writer saelens-append STORE KILL_AT CACHE MODEL_DIR\n".data(using: .utf8)!)
        exit(2)
    }
    let store = args[0], killAt = args[1], cache = args[2], model = args[3]
    func die() { kill(getpid(), SIGKILL) }
    var killSequences = Int.max
    if killAt.hasPrefix("sequences:") { killSequences = Int(killAt.dropFirst(10)) ?? Int.max }
    do {
        let tokenizer = try ModelTokenizer.load(directory: model)
        let summary = try SAELensCacheImporter.appendCache(cache: cache, store: store, tokenizer: tokenizer, progress: { done, _ in
            if done >= killSequences { die() }
        }, beforeCommit: {
            if killAt == "commit" { die() }
        })
        print("appended \(summary.sequences) sequences")
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
