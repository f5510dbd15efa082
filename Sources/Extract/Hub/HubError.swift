/// Why a `--model` argument could not be turned into model files. Each case names the
/// directory, repository or URL involved, what was expected, and what to do.
public enum HubError: Error, CustomStringConvertible, Equatable {
    /// A local model directory lacks required files. `pickleFiles` lists any
    /// pytorch_model.bin / *.pt / *.ckpt present, which are never loaded by design.
    case directoryIncomplete(directory: String, missing: [String], pickleFiles: [String])
    /// The argument looked like a path but nothing (or not a directory) is there.
    case notADirectory(path: String)
    /// The argument is neither an existing directory nor a valid hub id.
    case invalidRepoID(String, reason: String)
    /// Files are not in the local cache and HF_HUB_OFFLINE forbids downloading them.
    case offlineAndNotCached(repoID: String, revision: String, missing: [String], searched: [String])
    /// The server answered with an HTTP error.
    case httpStatus(url: String, status: Int, errorCode: String?, message: String?)
    /// The request failed below HTTP (connection refused, reset, timeout...).
    case network(url: String, message: String, partialByteCount: Int64?)
    /// The download's length differs from what the server announced.
    case sizeMismatch(url: String, expectedByteCount: Int64, actualByteCount: Int64)
    /// The download's sha256 differs from the server's ETag; the bytes were discarded.
    case checksumMismatch(url: String, expectedSHA256: String, actualSHA256: String)
    /// A filesystem operation in the cache failed.
    case io(path: String, operation: String, message: String)

    /// One paragraph: what failed, the directory, repository or URL, and a hint for what to do.
    public var description: String {
        switch self {
        case let .directoryIncomplete(directory, missing, pickles):
            var text = "model directory \(directory) is missing \(missing.joined(separator: ", ")) (a GPT-2 directory needs config.json, model.safetensors, vocab.json and merges.txt; a Llama, Qwen2 or Mistral one config.json, model.safetensors or model.safetensors.index.json with its shards, and tokenizer.json)."
            if !pickles.isEmpty {
                text += " It holds \(pickles.joined(separator: ", ")), but pickle checkpoints are never loaded by design (unpickling runs arbitrary code)."
                text += " Hint: convert once with transformers: AutoModel.from_pretrained(dir).save_pretrained(dir, safe_serialization=True)."
            } else if missing.contains("vocab.json") || missing.contains("merges.txt") {
                text += " Hint: copy the GPT-2 tokenizer files (vocab.json, merges.txt) from the model's hub repository into the directory."
            } else {
                text += " Hint: download the missing files, e.g. huggingface-cli download <repo> \(missing.joined(separator: " ")) --local-dir \(directory)."
            }
            return text
        case let .notADirectory(path):
            return "\(path) is not a directory. Hint: --model takes a model directory or a hub id such as gpt2 or openai-community/gpt2@main."
        case let .invalidRepoID(id, reason):
            return "'\(id)' is neither a model directory nor a valid hub id: \(reason). Hint: use ORG/NAME or NAME, optionally @revision (e.g. openai-community/gpt2@main), or a path to a directory."
        case let .offlineAndNotCached(repoID, revision, missing, searched):
            return "\(repoID)@\(revision): \(missing.joined(separator: ", ")) not in the Hugging Face cache (searched \(searched.joined(separator: ", "))) and HF_HUB_OFFLINE=1 forbids downloading. Hint: unset HF_HUB_OFFLINE, or fetch them where there is network with huggingface-cli download \(repoID) \(missing.joined(separator: " ")) --revision \(revision), or pass --model <directory>."
        case let .httpStatus(url, status, errorCode, message):
            let detail = [errorCode, message].compactMap { $0 }.joined(separator: ": ")
            var text = "GET \(url) failed with HTTP \(status)" + (detail.isEmpty ? "." : " (\(detail)).")
            switch status {
            case 401, 403: text += " Hint: the repository may be gated or private; set HF_TOKEN to a token with access."
            case 404:
                if url.hasSuffix("/model.safetensors") {
                    text += " Hint: the repository has no model.safetensors at this revision; saestore never loads pickle files (pytorch_model.bin) by design. Convert the checkpoint to safetensors and pass the directory."
                } else {
                    text += " Hint: check the repository id, the revision and the file name."
                }
            default: text += " Hint: retry later, or set HF_ENDPOINT to a mirror."
            }
            return text
        case let .network(url, message, partial):
            let resume = partial.map { " \($0) bytes were kept; running again resumes from there." } ?? ""
            return "request to \(url) failed: \(message).\(resume) Hint: check the network (or HF_ENDPOINT); set HF_HUB_OFFLINE=1 to use only the local cache."
        case let .sizeMismatch(url, expected, actual):
            return "download of \(url) has \(actual) bytes but the server announced \(expected); the partial file was discarded. Hint: run again to download it afresh."
        case let .checksumMismatch(url, expected, actual):
            return "download of \(url) has sha256 \(actual) but the server's ETag says \(expected); the file was discarded and not cached. Hint: run again; if it persists, the mirror (HF_ENDPOINT) serves corrupt data."
        case let .io(path, operation, message):
            return "\(path): \(operation) failed: \(message). Hint: check permissions and free space in the Hugging Face cache (HF_HUB_CACHE / HF_HOME)."
        }
    }
}
