import ArgumentParser
import Dispatch
import Foundation
import Serve

/// `saestore serve --store S [--features DIR] [--sae SAE] [--model M]`: the local explorer.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a store (and feature results, an SAE and its model) over HTTP: a JSON API and a browser page at /.",
        discussion: """
            Loopback only unless --host names another address, which then needs --token T: every \
            request must carry `Authorization: Bearer T` (or ?access_token=T). The API and its limits are in \
            docs/SERVE.md (OpenAPI: docs/serve-openapi.yaml, also served at /openapi.yaml). Prints \
            `listening on http://HOST:PORT` once it accepts connections (with --port 0, a free port).
            """)

    @Option(help: "Store directory.") var store: String
    @Option(help: "A `saestore features` results directory (GET /features…).") var features: String?
    @Option(help: "SAE (training run or SAELens directory) for POST /encode (default: the results' SAE).") var sae: String?
    @Option(help: "Model directory or hub id for POST /encode and /search?text= (default: the results' model).") var model: String?
    @Option(help: "Address to bind: loopback by default; any other needs --token.") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port, printed).") var port = 8080
    @Option(help: "Access token every request must carry (required with a non-loopback --host).") var token: String?
    @Option(help: "Tokens of context on each side of a feature example.") var window = 8
    @Option(help: "Largest ?window= of /rows and /docs.") var maxWindow = 64
    @Option(help: "Largest ?limit= (page size) of the paged endpoints.") var maxPageSize = 200
    @Option(help: "Largest request body, in bytes.") var maxBodyBytes = 65_536
    @Option(help: "Largest text of /encode and /search?text=, in tokens.") var maxTextTokens = 1024

    func validate() throws {
        if !(0...65_535).contains(port) { throw ValidationError("--port must be 0...65535, got \(port)") }
        if window < 0 { throw ValidationError("--window must be >= 0") }
        if maxWindow < 0 || maxPageSize < 1 || maxBodyBytes < 1 || maxTextTokens < 1 {
            throw ValidationError("--max-window must be >= 0; --max-page-size, --max-body-bytes and --max-text-tokens >= 1")
        }
    }

    func run() throws {
        let access: ServeAccess
        do { access = try ServeAccess(host: host, token: token) } catch let error as ServeError { throw ValidationError(error.message) }
        let modelDirectory = try model.map { try resolveModel($0, quiet: true).files.directory }
        let limits = ServeLimits(maxWindow: maxWindow, maxPageSize: maxPageSize, defaultPageSize: min(20, maxPageSize),
                                 maxBodyBytes: maxBodyBytes, maxTextTokens: maxTextTokens)
        let explorer = try ServeExplorer(ServeExplorer.Options(store: store, features: features, sae: sae, model: modelDirectory,
                                                               exampleWindow: window, limits: limits))
        let api = ServeAPI(explorer: explorer, access: access)
        let info = explorer.info
        let served = ["rows", "docs", "search"] + (info.features != nil ? ["features"] : []) + (info.sae != nil ? ["encode"] : [])
        // Before the first task: the server's tasks then run on NIO's event loops (ServeServer).
        ServeServer.adoptEventLoopsForConcurrency()
        let finished = DispatchSemaphore(value: 0)
        final class Outcome: @unchecked Sendable { var error: Error? }
        let outcome = Outcome()
        Task {
            do {
                try await ServeServer.run(api: api, host: host, port: port) { host, port in
                    let shown = host.contains(":") ? "[\(host)]" : host
                    // One line on stdout, flushed at once: scripts and tests wait for it.
                    FileHandle.standardOutput.write(Data("listening on http://\(shown):\(port)  (\(info.rowCount) rows; \(served.joined(separator: ", ")))\n".utf8))
                }
            } catch {
                outcome.error = error
            }
            finished.signal()
        }
        finished.wait()
        if let error = outcome.error { throw error }
    }
}
