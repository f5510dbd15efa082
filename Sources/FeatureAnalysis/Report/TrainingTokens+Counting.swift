import ActStore
import Extract
import Foundation

extension TrainingTokens {
    /// The distinct ids of every document of `corpus`, tokenized as `saestore ingest` tokenizes
    /// it (no BOS: BOS is the model's choice, not the corpus's). `progress` gets documents and
    /// tokens so far. A bad line counts as it does in ingest (`CorpusReader`'s rules); the
    /// reader's bad-line count is returned so the caller can report it.
    public static func count(corpus: CorpusReader, tokenizer: any TextTokenizer,
                             progress: (_ documents: Int, _ tokens: Int) -> Void = { _, _ in }) throws -> (tokens: TrainingTokens, badLines: Int) {
        var seen = [Bool](repeating: false, count: tokenizer.vocabularySize)
        var counted = 0, documents = 0
        while let document = try corpus.next() {
            for id in tokenizer.encode(document.text, allowSpecial: false) where Int(id) < seen.count {
                seen[Int(id)] = true
                counted += 1
            }
            documents += 1
            if documents % 256 == 0 { progress(documents, counted) }
        }
        progress(documents, counted)
        let distinct = Set(seen.indices.filter { seen[$0] })
        return (TrainingTokens(source: corpus.path, tokensCounted: counted, distinct: distinct), corpus.badLineCount)
    }

    /// The distinct ids of a store's `token_id` column, one chunk at a time (O(chunk) memory):
    /// for a store ingested from the training corpus. BOS rows count too when
    /// `includePositionZero`; by default they are skipped, since a BOS the ingest prepended
    /// is not text the model trained on unless it trained with it.
    public static func count(store reader: any StoreReading, includePositionZero: Bool = false,
                             progress: (_ chunks: Int, _ of: Int) -> Void = { _, _ in }) throws -> TrainingTokens {
        guard reader.columns.contains(where: { $0.name == TokenColumn.tokenID }) else {
            throw StoreError.missingColumn(store: reader.path, column: TokenColumn.tokenID, available: reader.columns.map(\.name))
        }
        let hasPositions = reader.columns.contains { $0.name == TokenColumn.position }
        var distinct = Set<Int>()
        var counted = 0
        var ids: [UInt64] = [], positions: [UInt64] = []
        for chunk in 0..<reader.chunkCount {
            try reader.readChunk(column: TokenColumn.tokenID, chunk: chunk, into: &ids)
            if hasPositions && !includePositionZero { try reader.readChunk(column: TokenColumn.position, chunk: chunk, into: &positions) }
            for (i, id) in ids.enumerated() where includePositionZero || !hasPositions || positions[i] != 0 {
                distinct.insert(Int(id))
                counted += 1
            }
            progress(chunk + 1, reader.chunkCount)
        }
        return TrainingTokens(source: reader.path, tokensCounted: counted, distinct: distinct)
    }
}
