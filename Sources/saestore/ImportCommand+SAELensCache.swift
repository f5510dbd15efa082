import ActStore
import ArgumentParser
import Extract
import Foundation

/// `saestore import STORE --saelens-cache DIR --model MODEL`: a SAELens activation cache in,
/// with documents rebuilt from its token ids (SAELensCacheImporter).
extension ImportCommand {
    func importSAELensCache(_ cache: String, codec: ColumnCodec) throws {
        guard files.isEmpty, column.isEmpty else {
            throw ValidationError("--saelens-cache takes the hook and rows from the cache: give no FILE and no --column")
        }
        guard let model else {
            throw ValidationError("--saelens-cache needs --model DIR: the model directory (or hub id) whose tokenizer (tokenizer.json, or GPT-2's vocab.json and merges.txt) decodes the cache's token ids")
        }
        let tokenizer = try cacheTokenizer(model: model)
        let progress = Progress("import", quiet: quiet || json)
        let summary = try SAELensCacheImporter.importCache(cache: cache, store: store, tokenizer: tokenizer, model: model, codec: codec,
                                                           compressionLevel: level, chunkRows: chunkRows) { done, total in
            progress.update(done, of: total)
        }
        progress.finish()
        if json { return try printJSON(summary) }
        print("imported \(summary.sequences) sequences (\(summary.rowCount) rows x \(summary.width)) of \(summary.hook) (\(codec.rawValue)) from \(cache) into \(store), with their text")
    }
}

extension ImportCommand {
    /// The tokenizer of the cache's model (a directory or hub id): its tokenizer.json, or
    /// GPT-2's vocab.json and merges.txt.
    func cacheTokenizer(model: String) throws -> any TextTokenizer {
        try ModelTokenizer.load(directory: tokenizerDirectory(forModel: model))
    }
}
