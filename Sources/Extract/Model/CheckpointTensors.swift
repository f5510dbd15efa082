import Foundation
import TensorIO

/// The tensors of a safetensors checkpoint directory (one `model.safetensors`, or the shards
/// `model.safetensors.index.json` names), read by name with a shape check, remembering which
/// were read so a tensor the architecture does not use can be refused. Shared by the Llama and
/// Gemma 2 loaders: same files, same errors, different tensor names.
struct CheckpointTensors {
    /// The model directory (named by `missingTensor`).
    let directory: String
    /// The file holding each tensor name.
    let fileForTensor: [String: SafetensorsFile]
    /// Names read so far.
    private(set) var used: Set<String> = []

    init(directory: String) throws {
        self.directory = directory
        self.fileForTensor = try LlamaWeights.tensorFiles(directory: directory)
    }

    /// The stored element type of `name`, nil when absent.
    func dtype(of name: String) -> TensorDType? { fileForTensor[name]?.tensors[name]?.dtype }

    /// `name` converted to f32 (from F32, F16 or BF16) after checking its shape.
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

    /// Throws `unexpectedTensor` for the first (sorted) tensor not read, other than buffers
    /// some exporters save (`….rotary_emb.inv_freq`).
    func refuseUnused() throws {
        for name in fileForTensor.keys.sorted() where !used.contains(name) && !name.hasSuffix(".rotary_emb.inv_freq") {
            throw LlamaModelError.unexpectedTensor(path: fileForTensor[name]!.path, name: name)
        }
    }
}
