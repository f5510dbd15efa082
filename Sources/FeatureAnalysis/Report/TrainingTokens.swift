import Foundation
import SAELoading

/// The token ids a model saw in training, when that is known: a `training_tokens.json` beside
/// the model's config.json (the demo model ships one), or a file `saestore training-tokens`
/// wrote from the training corpus or from a store ingested from it.
///
/// A token that never occurred in training has an unembedding row shaped only by weight decay
/// and the softmax's push on every non-target row, so a feature "promoting" it says nothing about
/// the model. `features` leaves such tokens out of the logit effects, as it leaves out collapsed
/// rows (`CollapsedTokens`), and the results say how many of each.
public struct TrainingTokens: Codable, Equatable, Sendable {
    /// The file name looked for in a model directory.
    public static let fileName = "training_tokens.json"
    /// The format this saestore reads and writes.
    public static let currentFormatVersion = 1

    /// Format of the file; newer versions are refused.
    public var formatVersion: Int
    /// What the ids were counted on (a corpus path, a store, "tinyshakespeare first 90%…").
    public var source: String
    /// Tokens counted (occurrences, not distinct ids).
    public var tokensCounted: Int
    /// Distinct ids that occurred at least once, ascending.
    public var tokenIds: [Int]

    /// The ids of `tokens`, distinct and sorted, with how many there were.
    public init(source: String, tokensCounted: Int, distinct: Set<Int>) {
        formatVersion = Self.currentFormatVersion
        self.source = source
        self.tokensCounted = tokensCounted
        tokenIds = distinct.sorted()
    }

    /// Reads and checks a file: ids ascending, distinct and non-negative. Throws
    /// `FeaturesError.badResults` naming the file and, for a bad id, its index in `tokenIds`.
    public static func load(path: String) throws -> TrainingTokens {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FeaturesError.badResults(path: path, detail: "cannot read the training-token file")
        }
        let file: TrainingTokens
        do {
            file = try JSONDecoder().decode(TrainingTokens.self, from: data)
        } catch {
            throw FeaturesError.badResults(path: path, detail: "not a training-token file (expected {formatVersion, source, tokensCounted, tokenIds}): \(error)")
        }
        guard file.formatVersion <= currentFormatVersion else {
            throw FeaturesError.badResults(path: path, detail: "formatVersion \(file.formatVersion) is newer than this saestore reads (\(currentFormatVersion))")
        }
        for (i, id) in file.tokenIds.enumerated() where id < 0 || (i > 0 && id <= file.tokenIds[i - 1]) {
            throw FeaturesError.badResults(path: path, detail: "tokenIds[\(i)] = \(id): expected ascending, distinct ids >= 0")
        }
        return file
    }

    /// `training_tokens.json` in `modelDirectory`, or nil when there is none.
    public static func find(modelDirectory: String) throws -> TrainingTokens? {
        let path = (modelDirectory as NSString).appendingPathComponent(fileName)
        return FileManager.default.fileExists(atPath: path) ? try load(path: path) : nil
    }

    /// Writes the file (pretty JSON, atomically).
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Per token of a `vocabularySize` vocabulary: true when it never occurred in training.
    /// Throws when an id is beyond the vocabulary (the file belongs to another model).
    public func untrainedMask(vocabularySize: Int, path: String) throws -> [Bool] {
        var untrained = [Bool](repeating: true, count: vocabularySize)
        for (i, id) in tokenIds.enumerated() {
            guard id < vocabularySize else {
                throw FeaturesError.badResults(path: path, detail: "tokenIds[\(i)] = \(id) is beyond the model's vocabulary of \(vocabularySize); the file belongs to another tokenizer")
            }
            untrained[id] = false
        }
        return untrained
    }
}

/// The tokens left out of the logit effects and why: collapsed unembedding rows, tokens never
/// seen in training, or both.
public struct LogitExclusions: Sendable {
    /// Per token: left out.
    public var excluded: [Bool]
    /// Tokens whose rows collapsed (`CollapsedTokens`).
    public var collapsedCount: Int
    /// Tokens never seen in training (nil: the training tokens are not known).
    public var untrainedCount: Int?
    /// Where the training tokens came from (the file), when known.
    public var trainingTokensPath: String?

    /// Tokens left out for either reason.
    public var leftOutCount: Int { excluded.reduce(0) { $0 + ($1 ? 1 : 0) } }

    /// One sentence for the report and `saestore feature`: how many tokens were left out and
    /// why; nil when none were.
    public static func note(leftOut: Int, collapsed: Int?, untrained: Int?, trainingTokens: String?) -> String? {
        guard leftOut > 0 else { return nil }
        var reasons: [String] = []
        if let untrained, untrained > 0 {
            reasons.append("\(untrained) never seen in training" + (trainingTokens.map { " (\(($0 as NSString).lastPathComponent))" } ?? ""))
        }
        if let collapsed, collapsed > 0 {
            reasons.append("\(collapsed) with unembedding rows near-identical to many others'")
        }
        if reasons.isEmpty { reasons.append("unembedding rows near-identical to many others'") }
        return "\(leftOut) tokens left out of the logit effect: " + reasons.joined(separator: ", ") + (reasons.count > 1 ? " (a token can be both)" : "")
    }

    /// Collapsed rows of `unembedding`, plus the untrained tokens from `trainingTokensPath`
    /// when given, else from the model directory's `training_tokens.json` when it has one.
    public static func find(_ unembedding: Unembedding, modelDirectory: String,
                            trainingTokensPath explicit: String? = nil) throws -> LogitExclusions {
        let collapsed = CollapsedTokens.find(unembedding)
        var result = LogitExclusions(excluded: collapsed, collapsedCount: collapsed.reduce(0) { $0 + ($1 ? 1 : 0) },
                                     untrainedCount: nil, trainingTokensPath: nil)
        let path = explicit ?? (modelDirectory as NSString).appendingPathComponent(TrainingTokens.fileName)
        guard explicit != nil || FileManager.default.fileExists(atPath: path) else { return result }
        let tokens = try TrainingTokens.load(path: path)
        let untrained = try tokens.untrainedMask(vocabularySize: unembedding.vocabularySize, path: path)
        result.untrainedCount = untrained.reduce(0) { $0 + ($1 ? 1 : 0) }
        result.trainingTokensPath = URL(fileURLWithPath: path).standardizedFileURL.path
        for v in 0..<untrained.count where untrained[v] { result.excluded[v] = true }
        return result
    }
}
