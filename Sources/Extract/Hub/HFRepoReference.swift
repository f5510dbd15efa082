/// A hub model reference such as `gpt2`, `openai-community/gpt2` or `gpt2@v1.0`.
public struct HFRepoReference: Sendable, Equatable {
    /// Repository id exactly as given (the cache folder is keyed by it).
    public let repoID: String
    /// Branch, tag or commit; "main" when not given.
    public let revision: String

    /// Legacy un-namespaced ids the hub redirects to their organisation. Both spellings name
    /// the same repository, but the cache keys folders by the spelling used, so a cache filled
    /// under either must be found from either.
    static let aliases: [String: String] = [
        "gpt2": "openai-community/gpt2",
        "gpt2-medium": "openai-community/gpt2-medium",
        "gpt2-large": "openai-community/gpt2-large",
        "gpt2-xl": "openai-community/gpt2-xl",
        "distilgpt2": "distilbert/distilgpt2",
    ]

    /// Parses `[ORG/]NAME[@REVISION]` with huggingface_hub's id rules: letters, digits,
    /// '-', '_', '.', at most 96 characters per part, no '--' or '..', not starting or
    /// ending with '-' or '.'.
    public init(parsing text: String) throws {
        var id = Substring(text)
        var revision = "main"
        if let at = text.firstIndex(of: "@") {
            id = text[..<at]
            revision = String(text[text.index(after: at)...])
            guard !revision.isEmpty, !revision.contains(".."), !revision.hasPrefix("/") else {
                throw HubError.invalidRepoID(text, reason: "empty or unsafe revision after '@'")
            }
        }
        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else {
            throw HubError.invalidRepoID(text, reason: "a hub id has at most one '/'")
        }
        for part in parts {
            let allowed = part.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "-_.".unicodeScalars.contains($0) }
            guard !part.isEmpty, part.count <= 96, allowed, !part.contains("--"), !part.contains(".."),
                  !part.hasPrefix("-"), !part.hasPrefix("."), !part.hasSuffix("-"), !part.hasSuffix(".") else {
                throw HubError.invalidRepoID(text, reason: "'\(part)' must be 1-96 of A-Z a-z 0-9 - _ . without '--' or '..' and not start or end with '-' or '.'")
            }
        }
        repoID = String(id)
        self.revision = revision
    }

    /// Repository ids whose cache folders may hold this model: the id as given first, then
    /// its alias (either direction).
    public var cacheCandidates: [String] {
        if let namespaced = Self.aliases[repoID] { return [repoID, namespaced] }
        if let legacy = Self.aliases.first(where: { $0.value == repoID })?.key { return [repoID, legacy] }
        return [repoID]
    }

    /// True for a full 40-hex-digit commit id, which names a snapshot folder directly.
    public static func isCommitHash(_ revision: String) -> Bool {
        revision.utf8.count == 40 && revision.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
