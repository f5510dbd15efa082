import Foundation
import XCTest
@testable import Extract

/// Model resolution without network: local directories, the cache layout, offline mode.
final class HubModelLocatorTests: XCTestCase {
    private let commit = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"

    private func makeModelDirectory(_ path: String, files: [String] = ModelFiles.requiredFileNames) throws {
        for name in files { try HubTestSupport.write((path as NSString).appendingPathComponent(name), "contents of \(name)") }
    }

    func testLocalDirectory() throws {
        let dir = try HubTestSupport.temporaryDirectory(self)
        try makeModelDirectory(dir)
        let files = try HFModelLocator(environment: [:]).resolve(dir)
        XCTAssertEqual(files.directory, dir)
        XCTAssertEqual(files.weightsPath, dir + "/model.safetensors")
        XCTAssertEqual(files.configPath, dir + "/config.json")
        XCTAssertEqual(files.vocabPath, dir + "/vocab.json")
        XCTAssertEqual(files.mergesPath, dir + "/merges.txt")
        XCTAssertNil(files.repoID)
        XCTAssertNil(files.revision)
    }

    func testSharedTinyModelDirectory() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.appendingPathComponent("../shared/data/models/tiny-shakespeare-gpt2").standardized.path
        guard FileManager.default.fileExists(atPath: dir) else { throw XCTSkip("shared data absent") }
        XCTAssertEqual(try HFModelLocator(environment: [:]).resolve(dir).directory, dir)
    }

    func testIncompleteDirectoryNamesMissingAndRefusesPickle() throws {
        let dir = try HubTestSupport.temporaryDirectory(self)
        try makeModelDirectory(dir, files: ["config.json", "vocab.json", "merges.txt", "pytorch_model.bin"])
        let error = HubTestSupport.expectHubError { _ = try HFModelLocator(environment: [:]).resolve(dir) }
        guard case let .directoryIncomplete(directory, missing, pickles) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(directory, dir)
        XCTAssertEqual(missing, ["model.safetensors"])
        XCTAssertEqual(pickles, ["pytorch_model.bin"])
        XCTAssertTrue(error!.description.contains("never loaded by design"), error!.description)

        let noTokenizer = dir + "/sub"
        try makeModelDirectory(noTokenizer, files: ["config.json", "model.safetensors", "tokenizer.json"])
        guard case let .directoryIncomplete(_, missing2, pickles2) = HubTestSupport.expectHubError({ _ = try HFModelLocator(environment: [:]).resolve(noTokenizer) })
        else { return XCTFail() }
        XCTAssertEqual(missing2, ["vocab.json", "merges.txt"])
        XCTAssertEqual(pickles2, [])
    }

    func testNotADirectory() throws {
        let dir = try HubTestSupport.temporaryDirectory(self)
        try HubTestSupport.write(dir + "/file.txt", "x")
        for path in [dir + "/file.txt", dir + "/does-not-exist", "./no-such-model-dir"] {
            guard case .notADirectory = HubTestSupport.expectHubError({ _ = try HFModelLocator(environment: [:]).resolve(path) }) else { return XCTFail(path) }
        }
    }

    func testRepoReferenceParsing() throws {
        let plain = try HFRepoReference(parsing: "gpt2")
        XCTAssertEqual(plain.repoID, "gpt2")
        XCTAssertEqual(plain.revision, "main")
        XCTAssertEqual(plain.cacheCandidates, ["gpt2", "openai-community/gpt2"])
        let namespaced = try HFRepoReference(parsing: "openai-community/gpt2@v1.0")
        XCTAssertEqual(namespaced.repoID, "openai-community/gpt2")
        XCTAssertEqual(namespaced.revision, "v1.0")
        XCTAssertEqual(namespaced.cacheCandidates, ["openai-community/gpt2", "gpt2"])
        XCTAssertEqual(try HFRepoReference(parsing: "EleutherAI/pythia-70m").cacheCandidates, ["EleutherAI/pythia-70m"])
        XCTAssertEqual(try HFRepoReference(parsing: "org/name@refs/pr/1").revision, "refs/pr/1")
        for bad in ["a/b/c", "org/", "/name", "bad--name", "bad..name", "-x", "x.", "sp ace", "name@", "name@../x", String(repeating: "a", count: 97)] {
            guard case .invalidRepoID = HubTestSupport.expectHubError({ _ = try HFRepoReference(parsing: bad) }) else { return XCTFail(bad) }
        }
        XCTAssertTrue(HFRepoReference.isCommitHash(commit))
        XCTAssertFalse(HFRepoReference.isCommitHash("main"))
    }

    func testCacheRootFromEnvironment() {
        XCTAssertEqual(HFCache(environment: ["HF_HUB_CACHE": "/a", "HF_HOME": "/b", "HOME": "/h"]).rootPath, "/a")
        XCTAssertEqual(HFCache(environment: ["HF_HOME": "/b", "HOME": "/h"]).rootPath, "/b/hub")
        XCTAssertEqual(HFCache(environment: ["HOME": "/h"]).rootPath, "/h/.cache/huggingface/hub")
        XCTAssertEqual(HFCache(environment: ["HF_HOME": "~/hf", "HOME": "/h"]).rootPath, "/h/hf/hub")
        XCTAssertEqual(HFCache(rootPath: "/c").repoFolder("openai-community/gpt2"), "/c/models--openai-community--gpt2")
    }

    /// A cache as huggingface_hub leaves it: refs/main → snapshots/<commit>/<file> symlinks into blobs/.
    private func makeCachedRepo(root: String, repoID: String, symlinks: Bool, files: [String] = ModelFiles.requiredFileNames) throws -> String {
        let folder = HFCache(rootPath: root).repoFolder(repoID)
        try HubTestSupport.write(folder + "/refs/main", commit)
        let snapshot = folder + "/snapshots/\(commit)"
        try FileManager.default.createDirectory(atPath: snapshot, withIntermediateDirectories: true)
        for (i, name) in files.enumerated() {
            if symlinks {
                let blobName = String(repeating: String(i), count: 40)
                try HubTestSupport.write(folder + "/blobs/\(blobName)", "blob \(name)")
                try FileManager.default.createSymbolicLink(atPath: snapshot + "/\(name)", withDestinationPath: "../../blobs/\(blobName)")
            } else {
                try HubTestSupport.write(snapshot + "/\(name)", "plain \(name)")
            }
        }
        return snapshot
    }

    func testFakeCacheWithSymlinks() throws {
        let root = try HubTestSupport.temporaryDirectory(self)
        let snapshot = try makeCachedRepo(root: root, repoID: "gpt2", symlinks: true)
        // Offline, and an endpoint nobody listens on: any network use would show as a failure.
        let environment = ["HF_HUB_CACHE": root, "HF_HUB_OFFLINE": "1", "HF_ENDPOINT": "http://127.0.0.1:9"]
        let locator = HFModelLocator(environment: environment)
        let files = try locator.resolve("gpt2")
        XCTAssertEqual(files.directory, snapshot)
        XCTAssertEqual(files.repoID, "gpt2")
        XCTAssertEqual(files.revision, "main")
        XCTAssertEqual(files.commit, commit)
        XCTAssertEqual(try String(contentsOfFile: files.mergesPath, encoding: .utf8), "blob merges.txt")
        // The namespaced id finds the legacy folder, and a pinned commit finds its snapshot.
        XCTAssertEqual(try locator.resolve("openai-community/gpt2").directory, snapshot)
        XCTAssertEqual(try locator.resolve("gpt2@\(commit)").directory, snapshot)
        XCTAssertEqual(try locator.resolve("gpt2@\(commit)").commit, commit)
    }

    func testFakeCacheWithPlainFilesUnderNamespacedFolder() throws {
        let root = try HubTestSupport.temporaryDirectory(self)
        let snapshot = try makeCachedRepo(root: root + "/hub", repoID: "openai-community/gpt2", symlinks: false)
        let locator = HFModelLocator(environment: ["HF_HOME": root, "HF_HUB_OFFLINE": "1"])
        let files = try locator.resolve("gpt2")
        XCTAssertEqual(files.directory, snapshot)
        XCTAssertEqual(files.repoID, "gpt2")
        XCTAssertEqual(try String(contentsOfFile: files.configPath, encoding: .utf8), "plain config.json")
    }

    func testOfflineMissingFilesIsClearError() throws {
        let root = try HubTestSupport.temporaryDirectory(self)
        let environment = ["HF_HUB_CACHE": root, "HF_HUB_OFFLINE": "1", "HF_ENDPOINT": "http://127.0.0.1:9"]
        let error = HubTestSupport.expectHubError { _ = try HFModelLocator(environment: environment).resolve("gpt2") }
        guard case let .offlineAndNotCached(repoID, revision, missing, searched) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(repoID, "gpt2")
        XCTAssertEqual(revision, "main")
        XCTAssertEqual(missing, ModelFiles.requiredFileNames)
        XCTAssertEqual(searched, [root + "/models--gpt2", root + "/models--openai-community--gpt2"])
        XCTAssertTrue(error!.description.contains("HF_HUB_OFFLINE"))

        // Partly cached, with a dangling symlink (blob deleted): only the absent files are named.
        _ = try makeCachedRepo(root: root, repoID: "gpt2", symlinks: true, files: ["config.json", "vocab.json"])
        try FileManager.default.removeItem(atPath: HFCache(rootPath: root).repoFolder("gpt2") + "/blobs/" + String(repeating: "1", count: 40))
        guard case let .offlineAndNotCached(_, _, missing2, _) = HubTestSupport.expectHubError({ _ = try HFModelLocator(environment: environment).resolve("gpt2") })
        else { return XCTFail() }
        XCTAssertEqual(missing2, ["model.safetensors", "vocab.json", "merges.txt"])

        for value in ["true", "YES", "on"] {
            XCTAssertTrue(HFModelLocator(environment: ["HF_HUB_OFFLINE": value]).isOffline)
        }
        XCTAssertFalse(HFModelLocator(environment: ["HF_HUB_OFFLINE": "0"]).isOffline)
    }
}
