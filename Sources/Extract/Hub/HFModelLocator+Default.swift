extension HFModelLocator {
    /// The model a command uses when the user may not have named one: `explicit` (--model),
    /// else `$SAESTORE_MODEL`, else `gpt2` as the hub names it (the local cache first, then a
    /// download unless offline). Returns the files and the name the store records.
    public func resolveDefault(explicit: String?) throws -> (files: ModelFiles, name: String) {
        let requested = explicit ?? environment["SAESTORE_MODEL"].flatMap { $0.isEmpty ? nil : $0 } ?? "openai-community/gpt2"
        let files = try resolve(requested)
        return (files, files.repoID ?? files.directory)
    }
}
