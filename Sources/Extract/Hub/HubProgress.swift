/// Download progress for one file, reported as bytes arrive.
public struct HubProgress: Sendable, Equatable {
    /// Repository id as requested, e.g. "gpt2".
    public let repoID: String
    /// File name within the repository, e.g. "model.safetensors".
    public let file: String
    /// Bytes of the file on disk so far, including any resumed part.
    public let bytesDone: Int64
    /// Total size in bytes, when the server announced it.
    public let totalBytes: Int64?

    /// One report; `HubDownloader` makes them as bytes are written.
    public init(repoID: String, file: String, bytesDone: Int64, totalBytes: Int64?) {
        self.repoID = repoID
        self.file = file
        self.bytesDone = bytesDone
        self.totalBytes = totalBytes
    }
}
