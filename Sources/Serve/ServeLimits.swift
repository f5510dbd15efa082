/// Bounds on what one request may ask for, so no request can make the server read or compute
/// without limit. Each is checked where its parameter is parsed, and a request past one is
/// answered 400 (413 for the body) naming the parameter and the bound.
public struct ServeLimits: Sendable, Equatable {
    /// Largest `window` (tokens of context on each side) of /rows and /docs.
    public var maxWindow: Int
    /// Largest page (`limit`) of /search, /features and /features/{id}/rows.
    public var maxPageSize: Int
    /// Page size when a request gives no `limit`.
    public var defaultPageSize: Int
    /// Largest request body, in bytes (POST /encode).
    public var maxBodyBytes: Int
    /// Largest text of /encode and /search?text=, in tokens after tokenizing.
    public var maxTextTokens: Int
    /// Largest `top` (features listed per token) of /encode.
    public var maxTopFeatures: Int

    /// Limits; the defaults suit one person's browser and scripts on loopback.
    public init(maxWindow: Int = 64, maxPageSize: Int = 200, defaultPageSize: Int = 20, maxBodyBytes: Int = 64 << 10,
                maxTextTokens: Int = 1024, maxTopFeatures: Int = 64) {
        self.maxWindow = maxWindow
        self.maxPageSize = maxPageSize
        self.defaultPageSize = defaultPageSize
        self.maxBodyBytes = maxBodyBytes
        self.maxTextTokens = maxTextTokens
        self.maxTopFeatures = maxTopFeatures
    }
}
