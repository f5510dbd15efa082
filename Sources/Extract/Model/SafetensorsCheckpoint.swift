import TensorIO

/// The tensors of a model directory's safetensors (one `model.safetensors` or the shards
/// `model.safetensors.index.json` names, `LlamaWeights.tensorFiles`), read by name with the
/// shape config.json implies, remembering which were read so that a tensor the architecture
/// does not use can be refused. Shared by the families that load transformers checkpoints.
struct SafetensorsCheckpoint {
    /// The model directory, named in errors about a tensor that is in no file.
    let directory: String
    /// The file holding each tensor.
    let fileForTensor: [String: SafetensorsFile]
    /// Names `read` has returned.
    private(set) var used: Set<String> = []

    /// Opens (maps) every weight file of `directory`; throws `LlamaModelError.unreadableFile`.
    init(directory: String) throws {
        self.directory = directory
        fileForTensor = try LlamaWeights.tensorFiles(directory: directory)
    }

    /// Whether any weight file holds `name`.
    func contains(_ name: String) -> Bool { fileForTensor[name] != nil }

    /// Tensor `name` converted to f32 (from F32, F16 or BF16); throws `LlamaModelError`
    /// `missingTensor` / `wrongShape` / `unreadableFile` naming the file and the tensor.
    mutating func read(_ name: String, _ shape: [Int]) throws -> [Float] {
        guard let file = fileForTensor[name], let info = file.tensors[name] else {
            throw LlamaModelError.missingTensor(path: directory, name: name, expectedShape: shape)
        }
        guard info.shape == shape else {
            throw LlamaModelError.wrongShape(path: file.path, name: name, expectedShape: shape, foundShape: info.shape)
        }
        used.insert(name)
        do { return try file.floats(name) } catch { throw LlamaModelError.unreadableFile(path: file.path, reason: "\(name): \(error)") }
    }

    /// Throws `LlamaModelError.unexpectedTensor` for the first tensor (by name) that was not
    /// read and that `isIgnorable` does not excuse (buffers such as rotary tables or masks).
    func refuseUnread(except isIgnorable: (String) -> Bool) throws {
        for name in fileForTensor.keys.sorted() where !used.contains(name) && !isIgnorable(name) {
            throw LlamaModelError.unexpectedTensor(path: fileForTensor[name]!.path, name: name)
        }
    }
}
