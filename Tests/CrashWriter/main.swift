// A store writer for the crash tests: writes `docs` deterministic synthetic documents to
// STORE, committing every `commit-every` documents with the next document index as the
// cursor, and resumes from that cursor when STORE already exists. The test SIGKILLs it at
// random instants and checks that the resumed store equals an uninterrupted one.
//
// usage: crash-writer STORE DOCS COMMIT_EVERY [CODEC]
//        crash-writer append STORE KILL_AT COLUMN=FILE...   (AppendMode.swift)
//        crash-writer saelens-append STORE KILL_AT CACHE MODEL_DIR   (SAELensAppendMode.swift)
import TensorIO
import ActStore
import Foundation

let args = CommandLine.arguments
if args.count > 1 && args[1] == "append" { runAppendMode(Array(args.dropFirst(2))) }
if args.count > 1 && args[1] == "saelens-append" { runSAELensAppendMode(Array(args.dropFirst(2))) }
guard args.count >= 4, let docCount = Int(args[2]), let commitEvery = Int(args[3]) else {
    FileHandle.standardError.write("usage: crash-writer STORE DOCS COMMIT_EVERY [CODEC]\n".data(using: .utf8)!)
    exit(2)
}
let codec = args.count > 4 ? ColumnCodec(rawValue: args[4]) ?? .f16 : .f16
let width = 48
let manifest = StoreManifest(columns: TokenColumn.all + [ColumnSpec(name: "blocks.0.hook_resid_pre", width: width, codec: codec)],
                             chunkRows: 256, segmentTargetBytes: 1 << 18, hasDocuments: true, model: "synthetic")

/// SplitMix64: the same documents on every run.
struct Mix { var s: UInt64; mutating func next() -> UInt64 { s &+= 0x9E37_79B9_7F4A_7C15; var z = s; z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9; z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB; return z ^ (z >> 31) } }

func document(_ index: Int) -> DocumentRows {
    var rng = Mix(s: UInt64(index) &* 7919 &+ 1)
    let tokens = 1 + Int(rng.next() % 120)
    var text = ""
    var starts: [UInt32] = [], ends: [UInt32] = [], ids: [UInt32] = [], positions: [UInt32] = []
    for t in 0..<tokens {
        let word = " w\(rng.next() % 1000)"
        starts.append(UInt32(text.utf8.count))
        text += word
        ends.append(UInt32(text.utf8.count))
        ids.append(UInt32(rng.next() % 50257))
        positions.append(UInt32(t % 64))
    }
    var values = [Float](repeating: 0, count: tokens * width)
    for i in values.indices { values[i] = Float(Int64(rng.next() % 20001) - 10000) / 1000 }
    return DocumentRows(text: text, source: "synthetic.jsonl", sourceIndex: index, tokenIDs: ids, positions: positions,
                        byteStarts: starts, byteEnds: ends, activations: ["blocks.0.hook_resid_pre": values])
}

do {
    let writer = try StoreWriter.openOrCreate(at: args[1], manifest: manifest)
    let cursor = try writer.committedCursor()["synthetic.jsonl"]
    var next = 0
    if let cursor, cursor.count == 8 { next = Int(cursor.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }) }
    if next != writer.committedDocumentCount {
        FileHandle.standardError.write("cursor \(next) != committed docs \(writer.committedDocumentCount)\n".data(using: .utf8)!)
        exit(3)
    }
    while next < docCount {
        try writer.append(document(next))
        next += 1
        if next % commitEvery == 0 || next == docCount {
            try writer.commit(cursor: ["synthetic.jsonl": withUnsafeBytes(of: UInt64(next)) { Array($0) }])
        }
    }
    print("done \(writer.committedRowCount) rows")
} catch {
    FileHandle.standardError.write("crash-writer: \(error)\n".data(using: .utf8)!)
    exit(1)
}
