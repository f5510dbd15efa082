import Foundation
import PackagePlugin

/// Compiles a target's web assets (the .js, .css, .html and .yaml files in its `Assets/` folder) into
/// a generated `EmbeddedAssets` enum, so they are plain files in the source tree and still part
/// of the binary (no resource bundle to lose when the executable is copied elsewhere).
/// The target lists `Assets` in its `exclude:` so SwiftPM does not also treat them as resources.
@main
struct EmbedAssets: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        // Path-based API: the URL forms need swift-tools-version 6.1, this package declares 6.0.
        guard let module = target as? SourceModuleTarget else { return [] }
        let folder = module.directory.appending("Assets")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.string)) ?? []
        let assets = names.filter { ["js", "css", "html", "yaml"].contains(URL(fileURLWithPath: $0).pathExtension) }
            .sorted()
            .map { folder.appending($0) }
        guard !assets.isEmpty else { return [] }
        let output = context.pluginWorkDirectory.appending("EmbeddedAssets.swift")
        return [.buildCommand(displayName: "Embedding \(assets.count) web assets into \(target.name)",
                              executable: try context.tool(named: "embed-assets").path,
                              arguments: [output.string] + assets.map(\.string),
                              inputFiles: assets, outputFiles: [output])]
    }
}
