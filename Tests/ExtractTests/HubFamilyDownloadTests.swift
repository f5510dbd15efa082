import Foundation
import XCTest
@testable import Extract

/// Hub ids of tokenizer.json models through the local stand-in hub (Support/hub_server.py):
/// config.json first, then the files its `model_type` needs — tokenizer.json, tokenizer_config.json
/// when the repository has one (a 404 is no error), and model.safetensors or, when the repository
/// has none, model.safetensors.index.json and every shard it names. The tiny NeoX model of
/// neox-ingest as one file, the Qwen2 model of llama-parity/qwen2-bias in 7 shards.
final class HubFamilyDownloadTests: XCTestCase {
    private let commit = "89abcdef0123456789abcdef0123456789abcdef"
    private var server: HubTestServer!
    private var serverRoot: String!
    private var cacheRoot: String!

    override func setUpWithError() throws {
        let base = try HubTestSupport.temporaryDirectory(self)
        serverRoot = base + "/server"
        cacheRoot = base + "/cache"
        try copy(fixturesDirectory.appendingPathComponent("neox-ingest").path, to: serverRoot + "/EleutherAI/pythia-tiny",
                 except: ["corpus.jsonl", "expected.safetensors"])
        // A sharded Qwen2 checkpoint, with the Llama-style tokenizer of llama-ingest beside it
        // (resolution does not compare the tokenizer's vocabulary with the model's).
        let sharded = serverRoot + "/Qwen/qwen2-tiny"
        try copy(fixturesDirectory.appendingPathComponent("llama-parity/qwen2-bias").path, to: sharded, except: ["expected.safetensors"])
        try FileManager.default.copyItem(atPath: fixturesDirectory.appendingPathComponent("llama-ingest/tokenizer.json").path,
                                         toPath: sharded + "/tokenizer.json")
        try HubTestSupport.write(sharded + "/tokenizer_config.json", #"{"bos_token": "<|begin_of_text|>"}"#)
        for repo in ["/EleutherAI/pythia-tiny", "/Qwen/qwen2-tiny"] { try HubTestSupport.write(serverRoot + repo + "/COMMIT", commit) }
        server = try HubTestServer(root: serverRoot)
    }

    override func tearDown() {
        server?.stop()
        server = nil
    }

    private func copy(_ source: String, to destination: String, except skipped: Set<String>) throws {
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: source) where !skipped.contains(name) {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: destination + "/" + name)
        }
    }

    private func locator(offline: Bool = false) -> HFModelLocator {
        var environment = ["HF_HUB_CACHE": cacheRoot!, "HF_ENDPOINT": server.endpoint, "HF_HUB_DOWNLOAD_TIMEOUT": "10"]
        if offline { environment["HF_HUB_OFFLINE"] = "1" }
        return HFModelLocator(environment: environment)
    }

    func testNeoXHubIdDownloadsConfigTokenizerAndWeights() throws {
        let files = try locator().resolve("EleutherAI/pythia-tiny")
        XCTAssertEqual(files.directory, cacheRoot + "/models--EleutherAI--pythia-tiny/snapshots/\(commit)")
        XCTAssertEqual(files.commit, commit)
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: files.directory))
        XCTAssertEqual(names, ["config.json", "tokenizer.json", "model.safetensors"])
        let requests = server.requests
        XCTAssertTrue(requests.contains { $0.hasPrefix("HEAD /EleutherAI/pythia-tiny/resolve/main/config.json") }, "\(requests)")
        XCTAssertTrue(requests.contains { $0.hasPrefix("HEAD /EleutherAI/pythia-tiny/resolve/\(commit)/tokenizer_config.json") }, "\(requests)")
        XCTAssertFalse(requests.contains { $0.contains("vocab.json") || $0.contains("merges.txt") }, "\(requests)")

        // The downloaded model runs as the local one does, tokenizer included.
        let local = fixturesDirectory.appendingPathComponent("neox-ingest").path
        let (model, tokenizer) = try LanguageModelLoader.load(files: files)
        let (localModel, localTokenizer) = try LanguageModelLoader.load(files: ModelFiles.validated(directory: local))
        XCTAssertEqual(model.family, .gptNeoX)
        let ids = tokenizer.encode("First Citizen: Before we proceed", allowSpecial: false)
        XCTAssertEqual(ids, localTokenizer.encode("First Citizen: Before we proceed", allowSpecial: false))
        let hook = try model.hookPoint(named: "blocks.1.hook_resid_post")
        XCTAssertEqual(try model.activations(tokens: ids, batch: 1, sequenceLength: ids.count, hooks: [hook]),
                       try localModel.activations(tokens: ids, batch: 1, sequenceLength: ids.count, hooks: [hook]))

        // Cached now: offline resolution finds it without a request.
        let before = server.requests.count
        XCTAssertEqual(try locator(offline: true).resolve("EleutherAI/pythia-tiny"), files)
        XCTAssertEqual(server.requests.count, before)
    }

    func testShardedHubIdDownloadsTheIndexAndEveryShard() throws {
        let files = try locator().resolve("Qwen/qwen2-tiny")
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: files.directory))
        let shards = (1...7).map { String(format: "model-%05d-of-00007.safetensors", $0) }
        XCTAssertEqual(names, Set(["config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors.index.json"] + shards))
        let requests = server.requests
        XCTAssertTrue(requests.contains { $0.hasPrefix("HEAD /Qwen/qwen2-tiny/resolve/\(commit)/model.safetensors ") }, "\(requests)")
        XCTAssertEqual(ModelFiles.missingFiles(in: files.directory), [])

        let local = fixturesDirectory.appendingPathComponent("llama-parity/qwen2-bias").path
        let model = try LlamaModel(directory: files.directory)
        let localModel = try LlamaModel(directory: local)
        let ids: [UInt32] = [1, 5, 9, 2, 7]
        XCTAssertEqual(try model.logits(tokens: ids, batch: 1, sequenceLength: ids.count),
                       try localModel.logits(tokens: ids, batch: 1, sequenceLength: ids.count))
        XCTAssertEqual(try HFTokenizer(directory: files.directory).bosTokenID, 700)

        // A snapshot missing one shard is incomplete: offline resolution says which.
        try FileManager.default.removeItem(atPath: files.directory + "/" + shards[3])
        let error = HubTestSupport.expectHubError { _ = try locator(offline: true).resolve("Qwen/qwen2-tiny") }
        XCTAssertTrue("\(error.map { "\($0)" } ?? "")".contains(shards[3]), "\(String(describing: error))")
        // Online, only that shard is fetched again.
        let before = server.requests.count
        _ = try locator().resolve("Qwen/qwen2-tiny")
        let again = server.requests.dropFirst(before)
        XCTAssertTrue(again.contains { $0.contains(shards[3]) }, "\(again)")
        XCTAssertFalse(again.contains { $0.contains(shards[2]) || $0.contains("tokenizer.json") }, "\(again)")
    }
}
