import ArgumentParser
import Extract
import Foundation

/// Resolves --model with a download progress line (docs/MODELS.md).
func resolveModel(_ explicit: String?, quiet: Bool) throws -> (files: ModelFiles, name: String) {
    let bar = Progress("download", unit: "B", quiet: quiet)
    let locator = HFModelLocator { event in
        bar.update(Int(event.bytesDone), of: event.totalBytes.map { Int($0) }, extra: "\(event.repoID)/\(event.file)")
    }
    defer { bar.finish() }
    return try locator.resolveDefault(explicit: explicit)
}
