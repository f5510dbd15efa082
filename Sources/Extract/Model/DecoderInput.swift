import Foundation

/// What the forwards of the tokenizer.json families (Llama, GPT-NeoX, Gemma 2) share around the
/// blocks: the checks of a (B, T) batch of ids, and the mean next-token loss from full logits.
/// Each family passes its own error constructor, so its errors keep its hints.
enum DecoderInput {
    /// Throws `invalidInput(reason)` unless B, T ≥ 1, T ≤ `maxPositions` (when `checkLength`;
    /// packed sequences check each length themselves), `tokens.count` = B·T and every id is
    /// below `vocabularySize`.
    static func check<E: Error>(tokens: [UInt32], batch: Int, sequenceLength: Int, maxPositions: Int, vocabularySize: Int,
                                checkLength: Bool, invalidInput: (String) -> E) throws {
        guard batch >= 1, sequenceLength >= 1 else { throw invalidInput("batch \(batch) × sequence length \(sequenceLength): both must be at least 1") }
        guard !checkLength || sequenceLength <= maxPositions else {
            throw invalidInput("sequence length \(sequenceLength) exceeds max_position_embeddings \(maxPositions)")
        }
        guard tokens.count == batch * sequenceLength else {
            throw invalidInput("\(tokens.count) tokens given for batch \(batch) × sequence length \(sequenceLength)")
        }
        if let index = tokens.firstIndex(where: { Int($0) >= vocabularySize }) {
            throw invalidInput("token id \(tokens[index]) at index \(index) is outside the vocabulary (size \(vocabularySize))")
        }
    }

    /// Mean next-token cross-entropy in nats/token over positions 0..<T−1 of every sequence of
    /// the row-major (B, T, V) `logits`, log-sum-exp in Double (as transformers' loss, which
    /// upcasts). Needs T ≥ 2.
    static func meanNextTokenLoss(logits: [Float], tokens: [UInt32], batch: Int, sequenceLength: Int, vocabularySize V: Int) -> Float {
        precondition(sequenceLength >= 2, "the next-token loss needs at least 2 tokens per sequence")
        var total = 0.0
        for b in 0..<batch {
            for t in 0..<(sequenceLength - 1) {
                let row = (b * sequenceLength + t) * V
                let maximum = logits[row..<(row + V)].max()!
                var sum = 0.0
                for v in 0..<V { sum += exp(Double(logits[row + v] - maximum)) }
                total += log(sum) + Double(maximum) - Double(logits[row + Int(tokens[b * sequenceLength + t + 1])])
            }
        }
        return Float(total / Double(batch * (sequenceLength - 1)))
    }
}
