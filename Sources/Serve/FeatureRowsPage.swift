import ActStore
import FeatureAnalysis

/// GET /features/{id}/rows's answer: one page of the rows where a feature fires at least
/// `minimum`, strongest first, from the scan's posting list.
public struct FeatureRowsPage: Codable, Sendable, Equatable {
    /// A firing, with its row in context.
    public struct Hit: Codable, Sendable, Equatable {
        /// Store row.
        public var row: Int
        /// The feature's activation on the row.
        public var activation: Float
        /// The row's token id.
        public var tokenID: UInt32
        /// The row in its document (nil for rows imported without text).
        public var context: TokenContext?
    }

    /// SAE feature id.
    public var feature: Int
    /// The `min` threshold: only activations at least this are listed.
    public var minimum: Float
    /// The token id filter, if one was given.
    public var tokenID: UInt32?
    /// Rows in the scan where the feature fires at least `minimum` (and on `tokenID`).
    public var total: Int
    /// Index of the page's first row among the matches.
    public var offset: Int
    /// Page size asked for.
    public var limit: Int
    /// The page, strongest first (ties: smaller row).
    public var rows: [Hit]

    /// Reads the page from `postings` (local feature `local`, SAE id `feature`).
    static func make(postings: FeaturePostingsFile, local: Int, feature: Int, minimum: Float, tokenID: UInt32?,
                     offset: Int, limit: Int, window: Int, reader: any StoreReading) throws -> FeatureRowsPage {
        let prefix = postings.countAtLeast(local, minimum: minimum)
        var picked: [FeaturePosting] = []
        var total = prefix
        if let tokenID {
            // The prefix is read through once to count, which a token filter needs anyway.
            total = 0
            for i in 0..<prefix {
                let p = postings.posting(local, i)
                guard p.tokenID == tokenID else { continue }
                if total >= offset && picked.count < limit { picked.append(p) }
                total += 1
            }
        } else if offset < prefix {
            picked = (offset..<min(prefix, offset + limit)).map { postings.posting(local, $0) }
        }
        let hits = try picked.map { p in
            Hit(row: p.row, activation: p.activation, tokenID: p.tokenID, context: try reader.context(row: p.row, window: window))
        }
        return FeatureRowsPage(feature: feature, minimum: minimum, tokenID: tokenID, total: total, offset: offset, limit: limit, rows: hits)
    }
}
