import Foundation
import TensorIO

/// The tensors of a model directory's safetensors (one `model.safetensors` or the shards
/// `model.safetensors.index.json` names), read by name with the shape config.json implies,
/// remembering which were read so that a tensor the architecture does not use can be refused.
/// The one reader of every family that loads transformers checkpoints (Llama, GPT-NeoX, Gemma 2):
/// same files, same errors, different tensor names.
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
        fileForTensor = try Self.tensorFiles(directory: directory)
    }

    /// The file holding each tensor: `model.safetensors`, or every shard
    /// `model.safetensors.index.json` names (each opened once, mapped, nothing read yet).
    static func tensorFiles(directory: String) throws -> [String: SafetensorsFile] {
        let single = (directory as NSString).appendingPathComponent("model.safetensors")
        let indexPath = (directory as NSString).appendingPathComponent("model.safetensors.index.json")
        var fileForTensor: [String: SafetensorsFile] = [:]
        var files: [SafetensorsFile] = []
        func open(_ path: String) throws -> SafetensorsFile {
            do { return try SafetensorsFile(path: path) } catch { throw LlamaModelError.unreadableFile(path: path, reason: "\(error)") }
        }
        if FileManager.default.fileExists(atPath: single) {
            files = [try open(single)]
        } else {
            guard let data = FileManager.default.contents(atPath: indexPath),
                  let index = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let map = index["weight_map"] as? [String: String] else {
                throw LlamaModelError.unreadableFile(path: FileManager.default.fileExists(atPath: indexPath) ? indexPath : single,
                                                     reason: FileManager.default.fileExists(atPath: indexPath) ? "no weight_map object" : "no such file")
            }
            var opened: [String: SafetensorsFile] = [:]
            for shard in Set(map.values).sorted() {
                guard !shard.contains("/") else { throw LlamaModelError.unreadableFile(path: indexPath, reason: "shard name \(shard) leaves the directory") }
                opened[shard] = try open((directory as NSString).appendingPathComponent(shard))
            }
            files = opened.keys.sorted().map { opened[$0]! }
        }
        for file in files {
            for name in file.tensorNames { fileForTensor[name] = file }
        }
        return fileForTensor
    }

    /// The stored element type of `name`, nil when absent.
    func dtype(of name: String) -> TensorDType? { fileForTensor[name]?.tensors[name]?.dtype }

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

    /// The (V, C) unembedding a `load` keeps: `head` when `tied` is false; nil when tied (the
    /// forward then multiplies by the embedding), after reading a tied copy of `head` that some
    /// exporters write anyway, so that its shape is checked and it does not count as unused.
    mutating func readHead(_ head: String, tied: Bool, shape: [Int]) throws -> [Float]? {
        if !tied { return try read(head, shape) }
        if contains(head) { _ = try read(head, shape) }
        return nil
    }

    /// The (V, C) unembedding of `directory` alone, without reading the other tensors: `head`,
    /// or `embedding` when `tied` (the choice `readHead` makes), for logit effects.
    static func unembedding(directory: String, head: String, embedding: String, tied: Bool, shape: [Int]) throws -> [Float] {
        var checkpoint = try SafetensorsCheckpoint(directory: directory)
        return try checkpoint.read(tied ? embedding : head, shape)
    }

    /// Throws `LlamaModelError.unexpectedTensor` for the first tensor (by name) that was not
    /// read and that `isIgnorable` does not excuse (buffers such as rotary tables or masks).
    func refuseUnread(except isIgnorable: (String) -> Bool = SafetensorsCheckpoint.isRotaryTable) throws {
        for name in fileForTensor.keys.sorted() where !used.contains(name) && !isIgnorable(name) {
            throw LlamaModelError.unexpectedTensor(path: fileForTensor[name]!.path, name: name)
        }
    }

    /// The rotary inverse-frequency buffer some exporters save beside the parameters; the
    /// forward recomputes it from config.json, as transformers does.
    static func isRotaryTable(_ name: String) -> Bool { name.hasSuffix(".rotary_emb.inv_freq") }
}
