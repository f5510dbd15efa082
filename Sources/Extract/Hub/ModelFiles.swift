import Foundation

/// The files of a GPT-2 model in Hugging Face layout, all checked to exist.
public struct ModelFiles: Sendable, Equatable {
    /// The directory holding the files (a cache snapshot for hub models).
    public let directory: String
    /// `directory/config.json`.
    public let configPath: String
    /// `directory/model.safetensors` (absent for a sharded Llama-family model, whose
    /// model.safetensors.index.json names the shards).
    public let weightsPath: String
    /// `directory/vocab.json`, GPT-2's BPE vocabulary (tokenizer.json families have none).
    public let vocabPath: String
    /// `directory/merges.txt`, GPT-2's BPE merges (tokenizer.json families have none).
    public let mergesPath: String
    /// Hub repository id as requested (nil for a local directory).
    public let repoID: String?
    /// Revision as requested, e.g. "main" (nil for a local directory).
    public let revision: String?
    /// The commit the revision resolved to (nil for a local directory, or when the server
    /// gave none).
    public let commit: String?

    /// Files every model directory must hold, in the order they are checked and fetched.
    public static let requiredFileNames = ["config.json", "model.safetensors", "vocab.json", "merges.txt"]

    /// The paths of the four GPT-2 files in `directory`, unchecked; `validated(directory:…)` checks them.
    public init(directory: String, repoID: String? = nil, revision: String? = nil, commit: String? = nil) {
        self.directory = directory
        configPath = (directory as NSString).appendingPathComponent("config.json")
        weightsPath = (directory as NSString).appendingPathComponent("model.safetensors")
        vocabPath = (directory as NSString).appendingPathComponent("vocab.json")
        mergesPath = (directory as NSString).appendingPathComponent("merges.txt")
        self.repoID = repoID
        self.revision = revision
        self.commit = commit
    }

    /// The model files in `directory`, or an error naming what is missing (and any pickle
    /// checkpoint present, which is never loaded).
    public static func validated(directory: String, repoID: String? = nil, revision: String? = nil, commit: String? = nil) throws -> ModelFiles {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw HubError.notADirectory(path: directory)
        }
        let missing = missingFiles(in: directory)
        guard missing.isEmpty else {
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            let pickles = contents.filter { $0 == "pytorch_model.bin" || $0.hasSuffix(".pt") || $0.hasSuffix(".pth") || $0.hasSuffix(".ckpt") || $0.hasSuffix(".pkl") }.sorted()
            throw HubError.directoryIncomplete(directory: directory, missing: missing, pickleFiles: pickles)
        }
        return ModelFiles(directory: directory, repoID: repoID, revision: revision, commit: commit)
    }

    /// Files a directory of a tokenizer.json family (config.json's `model_type` not gpt2) must hold:
    /// config.json, tokenizer.json and the weights as one file, or as an index and every shard
    /// its weight_map names (a shard name that leaves the directory is left to
    /// `SafetensorsCheckpoint` to refuse).
    static func tokenizerJSONFamilyFileNames(in directory: String) -> [String] {
        let index = (directory as NSString).appendingPathComponent("model.safetensors.index.json")
        guard FileManager.default.fileExists(atPath: index) else { return ["config.json", "model.safetensors", "tokenizer.json"] }
        return ["config.json", "model.safetensors.index.json"] + shardNames(indexPath: index) + ["tokenizer.json"]
    }

    /// The distinct files a `model.safetensors.index.json` weight_map names, sorted; none when
    /// the index cannot be read (the loader then says why).
    static func shardNames(indexPath: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: indexPath),
              let index = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = index["weight_map"] as? [String: String] else { return [] }
        return Set(map.values).filter { !$0.contains("/") }.sorted()
    }

    /// Required files not present (a dangling cache symlink counts as missing). Which files
    /// are required follows config.json's `model_type`: GPT-2's four, or the tokenizer.json
    /// families' (`tokenizerJSONFamilyFileNames`).
    static func missingFiles(in directory: String) -> [String] {
        let modelType = ModelTokenizer.modelType(directory: directory) ?? "gpt2"
        let required = modelType == "gpt2" ? requiredFileNames : tokenizerJSONFamilyFileNames(in: directory)
        return required.filter { name in
            var isDirectory: ObjCBool = false
            let path = (directory as NSString).appendingPathComponent(name)
            return !(FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue)
        }
    }
}
