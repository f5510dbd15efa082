import ActStore
import ArgumentParser
import Extract
import Foundation

/// `saestore import STORE --append --column NAME FILE …` and `saestore import STORE --append
/// --saelens-cache DIR`: one more part of a cache made elsewhere, after the store's rows
/// (RowAppend, SAELensCacheImporter.appendCache).
extension ImportCommand {
    func runAppend(codec: ColumnCodec?) throws {
        if let saelensCache { return try appendSAELensCache(saelensCache, codec: codec) }
        guard !files.isEmpty, column.count == files.count else {
            throw ValidationError("--append needs one --column NAME per FILE, in the same order (\(column.count) columns, \(files.count) files), or --saelens-cache DIR")
        }
        let parts = zip(column, files).map { RowAppend.ColumnFile(column: $0, file: $1, tensor: tensor) }
        let progress = Progress("append", quiet: quiet || json)
        let result = try RowAppend.append(store: store, files: parts, codec: codec) { done, total in
            progress.update(done, of: total)
        }
        progress.finish()
        if json { return try printJSON(result) }
        print("appended \(result.rowCount) rows from \(files.joined(separator: ", ")) to \(store) as rows \(result.firstRow)..<\(result.storeRowCount)")
    }

    private func appendSAELensCache(_ cache: String, codec: ColumnCodec?) throws {
        guard files.isEmpty, column.isEmpty else {
            throw ValidationError("--saelens-cache takes the hook and rows from the cache: give no FILE and no --column")
        }
        // The store remembers the model its first part came with; its tokenizer decodes the rest.
        let recorded = try openStore(at: store).manifest.model
        guard let model = model ?? recorded else {
            throw ValidationError("--append --saelens-cache needs --model DIR: \(store) does not name the model whose tokenizer decodes the cache's token ids")
        }
        if let recorded, recorded != model { try checkSameTokenizer(given: model, recorded: recorded) }
        let tokenizer = try cacheTokenizer(model: model)
        let progress = Progress("append", quiet: quiet || json)
        let summary = try SAELensCacheImporter.appendCache(cache: cache, store: store, tokenizer: tokenizer, codec: codec) { done, total in
            progress.update(done, of: total)
        }
        progress.finish()
        if json { return try printJSON(summary) }
        print("appended \(summary.sequences) sequences (\(summary.rowCount) rows x \(summary.width)) of \(summary.hook) from \(cache) to \(store), with their text")
    }

    /// A part decoded with another vocabulary than the store's first part would get wrong texts
    /// silently: `--model` naming a different model than the store's must hold the same
    /// tokenizer files (tokenizer.json, or vocab.json and merges.txt), byte for byte. When the
    /// recorded model is no longer there to compare with, the append goes on and says so.
    private func checkSameTokenizer(given: String, recorded: String) throws {
        let mine = try ModelTokenizer.definingFiles(directory: tokenizerDirectory(forModel: given))
        guard let theirs = try? ModelTokenizer.definingFiles(directory: tokenizerDirectory(forModel: recorded)) else {
            FileHandle.standardError.write(Data("note: \(store) was made with model \(recorded), which is not here to compare with; decoding with \(given)'s tokenizer\n".utf8))
            return
        }
        // The first file whose bytes differ (or the other kind of tokenizer altogether).
        let differing: (String, String)? = mine.count != theirs.count
            ? (mine.joined(separator: ", "), theirs.joined(separator: ", "))
            : zip(mine, theirs).first { !FileManager.default.contentsEqual(atPath: $0.0, andPath: $0.1) }
        if let differing {
            throw ValidationError("--model \(given) is not the model \(store) was made with (\(recorded)): \(differing.0) differs from \(differing.1), so the cache's token ids would decode to other text; give --model \(recorded), or leave --model out")
        }
    }
}
