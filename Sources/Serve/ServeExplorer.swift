import ActStore
import Extract
import FeatureAnalysis
import Foundation
import SAELoading

/// Everything `saestore serve` answers from, opened once and shared by every request: the
/// store, and when given, a `features` results directory, an SAE and the model for live
/// encoding. Each part is safe to use from concurrent requests: the store reader is
/// thread-safe, and the parts that are not (the results' inspector, the model's scratch
/// memory) sit behind their own locks, so only requests to the same part wait for each other.
public final class ServeExplorer: @unchecked Sendable {
    /// What to open.
    public struct Options: Sendable {
        /// Store directory.
        public var store: String
        /// A `saestore features` results directory (GET /features…).
        public var features: String?
        /// An SAE (run or SAELens directory) for POST /encode; default: the results' SAE.
        public var sae: String?
        /// A model directory for POST /encode and /search?text= (resolved by the caller);
        /// default: the one the results were scanned with, if recorded.
        public var model: String?
        /// Tokens of context on each side of a feature example.
        public var exampleWindow: Int
        /// Bounds on each request.
        public var limits: ServeLimits

        /// What to open; only the store is required.
        public init(store: String, features: String? = nil, sae: String? = nil, model: String? = nil,
                    exampleWindow: Int = 8, limits: ServeLimits = ServeLimits()) {
            self.store = store
            self.features = features
            self.sae = sae
            self.model = model
            self.exampleWindow = exampleWindow
            self.limits = limits
        }
    }

    /// What was opened.
    public let options: Options
    /// The store, shared by every request (thread-safe).
    public let reader: any StoreReading
    /// Bounds on each request.
    public var limits: ServeLimits { options.limits }
    /// The results, when --features was given.
    let features: FeatureCatalog?
    /// Model + tokenizer + SAE, when an SAE and a model are known.
    let live: LiveEncoder?
    /// The tokenizer for /search?text= (the model's).
    let tokenizer: (any TextTokenizer)?
    /// Token id → rows, built from the token_id column on the first search.
    let tokens: TokenIndexCache
    /// Documents kept whole for GET /rows (loaded on first use).
    let documents: DocumentContextCache

    /// Opens the store, then the results, SAE and model that `options` name; throws what opening them throws.
    public init(_ options: Options) throws {
        self.options = options
        reader = try openStore(at: options.store)
        features = try options.features.map {
            try FeatureCatalog(inspector: FeatureInspector(resultsDirectory: URL(fileURLWithPath: $0), store: options.store,
                                                           sae: options.sae, model: options.model, window: options.exampleWindow))
        }
        let saePath = options.sae ?? features?.inspector.saeDirectory.path
        let modelPath = options.model ?? features?.inspector.results.manifest.model
        if let saePath, let modelPath {
            live = try LiveEncoder(modelDirectory: modelPath, sae: SAESource(path: saePath), reader: reader, limits: options.limits)
            tokenizer = live?.tokenizer
        } else {
            live = nil
            tokenizer = try modelPath.map { try ModelTokenizer.load(directory: $0) }
        }
        tokens = TokenIndexCache(reader: reader)
        documents = DocumentContextCache(reader: reader)
    }

    /// What this server answers, for clients (the page) to know which parts to show.
    public struct Info: Codable, Sendable, Equatable {
        /// Store directory.
        public var store: String
        /// Rows in the store.
        public var rowCount: Int
        /// Documents in the store.
        public var documentCount: Int
        /// The store's column names.
        public var columns: [String]
        /// Tokens per window at ingest, if recorded.
        public var contextSize: Int?
        /// Whether ingest prepended BOS, if recorded.
        public var prependBOS: Bool?
        /// Results directory, feature count and the column scanned, with --features.
        public var features: String?
        /// Features in the results.
        public var featureCount: Int?
        /// Features that fired at least once in the scan.
        public var liveFeatureCount: Int?
        /// The column the results were scanned on.
        public var column: String?
        /// SAE and model of POST /encode (nil: not served).
        public var sae: String?
        /// Model directory of POST /encode (nil: not served).
        public var model: String?
        /// Whether /search is served (always: it needs only the store).
        public var search: Bool
        /// Whether /features/{id}/rows is served (the results have posting lists).
        public var postings: Bool
        /// The request limits in force.
        public var limits: Limits

        /// The request limits, as clients see them (`ServeLimits`).
        public struct Limits: Codable, Sendable, Equatable {
            /// Largest `window`.
            public var maxWindow: Int
            /// Largest `limit`.
            public var maxPageSize: Int
            /// Largest request body, in bytes.
            public var maxBodyBytes: Int
            /// Largest text, in tokens.
            public var maxTextTokens: Int
            /// Largest `top` of /encode.
            public var maxTopFeatures: Int
        }
    }

    /// What is served, for GET /info.
    public var info: Info {
        let tables = features?.inspector.results.tables
        return Info(store: options.store, rowCount: reader.rowCount, documentCount: reader.documentCount,
                    columns: reader.columns.map(\.name), contextSize: reader.manifest.contextSize, prependBOS: reader.manifest.prependBOS,
                    features: options.features, featureCount: tables?.featureCount,
                    liveFeatureCount: tables.map { $0.fireCounts.filter { $0 > 0 }.count },
                    column: features?.inspector.results.manifest.config.column,
                    sae: live?.saeDirectory, model: live?.modelDirectory, search: true, postings: features?.postings != nil,
                    limits: .init(maxWindow: limits.maxWindow, maxPageSize: limits.maxPageSize, maxBodyBytes: limits.maxBodyBytes,
                                  maxTextTokens: limits.maxTextTokens, maxTopFeatures: limits.maxTopFeatures))
    }
}
