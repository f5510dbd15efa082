import Foundation
import XCTest
@testable import Extract

/// Downloads from a local stand-in hub (Support/hub_server.py on 127.0.0.1), exercising the
/// hub's protocol: relative redirect for the legacy `gpt2` id, 302 to a CDN for LFS files
/// with X-Linked-Etag/X-Linked-Size, X-Repo-Commit, Range resumption, and errors.
final class HubDownloadTests: XCTestCase {
    private let commit = "0123456789abcdef0123456789abcdef01234567"
    private var server: HubTestServer!
    private var serverRoot: String!
    private var cacheRoot: String!
    private var weights: Data!

    override func setUpWithError() throws {
        let base = try HubTestSupport.temporaryDirectory(self)
        serverRoot = base + "/server"
        cacheRoot = base + "/cache"
        weights = HubTestSupport.bytes(count: 300_000, seed: 42)
        let repo = serverRoot + "/openai-community/gpt2"
        try HubTestSupport.write(repo + "/COMMIT", commit)
        try HubTestSupport.write(repo + "/config.json", #"{"n_layer": 1}"#)
        try HubTestSupport.write(repo + "/model.safetensors", weights)
        try HubTestSupport.write(repo + "/vocab.json", #"{"a": 0}"#)
        try HubTestSupport.write(repo + "/merges.txt", "#version: 0.2\na b\n")
        server = try HubTestServer(root: serverRoot)
    }

    override func tearDown() {
        server?.stop()
        server = nil
        // XCTest on Linux keeps every test case object alive to the end of the run (a weak
        // reference cycle in its expectation code), so 300 KB per test would stay with it.
        weights = nil
    }

    private func locator(offline: Bool = false, progress: ((HubProgress) -> Void)? = nil) -> HFModelLocator {
        var environment = ["HF_HUB_CACHE": cacheRoot!, "HF_ENDPOINT": server.endpoint, "HF_HUB_DOWNLOAD_TIMEOUT": "10"]
        if offline { environment["HF_HUB_OFFLINE"] = "1" }
        return HFModelLocator(environment: environment, progress: progress)
    }

    private var sha: String {
        var hasher = SHA256()
        hasher.update(weights)
        return hasher.finalizeHex()
    }

    func testFullDownloadFillsCacheInHubLayout() throws {
        var reports: [HubProgress] = []
        let files = try locator(progress: { reports.append($0) }).resolve("gpt2")
        let folder = cacheRoot + "/models--gpt2"
        XCTAssertEqual(files.directory, folder + "/snapshots/\(commit)")
        XCTAssertEqual(files.commit, commit)
        XCTAssertEqual(files.repoID, "gpt2")
        XCTAssertEqual(try String(contentsOfFile: folder + "/refs/main", encoding: .utf8), commit)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: files.weightsPath)), weights)
        XCTAssertEqual(try String(contentsOfFile: files.mergesPath, encoding: .utf8), "#version: 0.2\na b\n")
        // LFS file: blob named by sha256, snapshot entry a relative symlink to it.
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: files.weightsPath), "../../blobs/\(sha)")
        let blobs = try FileManager.default.contentsOfDirectory(atPath: folder + "/blobs")
        XCTAssertEqual(blobs.count, 4)
        XCTAssertFalse(blobs.contains { $0.hasSuffix(".incomplete") })

        let weightReports = reports.filter { $0.file == "model.safetensors" }
        XCTAssertEqual(weightReports.last, HubProgress(repoID: "gpt2", file: "model.safetensors", bytesDone: 300_000, totalBytes: 300_000))
        XCTAssertEqual(weightReports.map(\.bytesDone), weightReports.map(\.bytesDone).sorted(), "progress never goes back")
        XCTAssertEqual(Set(reports.map(\.file)), Set(ModelFiles.requiredFileNames))

        // The legacy id went through the hub's relative redirect; later files were asked for by commit.
        let requests = server.requests
        XCTAssertTrue(requests.contains { $0.hasPrefix("HEAD /gpt2/resolve/main/config.json") }, "\(requests)")
        XCTAssertTrue(requests.contains { $0.hasPrefix("GET /gpt2/resolve/\(commit)/merges.txt") }, "\(requests)")

        // Now cached: offline resolution works and makes no request.
        let before = server.requests.count
        XCTAssertEqual(try locator(offline: true).resolve("gpt2"), files)
        XCTAssertEqual(try locator().resolve("gpt2").directory, files.directory)
        XCTAssertEqual(server.requests.count, before)
    }

    func testResumeAfterDroppedConnection() throws {
        try HubTestSupport.write(serverRoot + "/openai-community/gpt2/BEHAVIOUR.json",
                                 #"{"model.safetensors": {"drop_after": 120000, "drop_times": 1}}"#)
        let first = HubTestSupport.expectHubError { _ = try locator().resolve("openai-community/gpt2") }
        guard case let .network(_, _, partial) = first else { return XCTFail("\(String(describing: first))") }
        let incomplete = cacheRoot + "/models--openai-community--gpt2/blobs/\(sha).incomplete"
        let keptSize = try XCTUnwrap((try FileManager.default.attributesOfItem(atPath: incomplete)[.size] as? NSNumber)?.intValue)
        XCTAssertEqual(keptSize, 120_000)
        XCTAssertEqual(partial, 120_000)

        let files = try locator().resolve("openai-community/gpt2")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: files.weightsPath)), weights)
        XCTAssertFalse(FileManager.default.fileExists(atPath: incomplete))
        XCTAssertTrue(server.requests.contains("GET /cdn/\(sha) bytes=120000-"), "\(server.requests)")
        // config.json from the first run was kept, not fetched again.
        XCTAssertEqual(server.requests.filter { $0.hasPrefix("GET ") && $0.contains("config.json") }.count, 1)
    }

    func testResumeFromExistingPartialFile() throws {
        let folder = cacheRoot + "/models--openai-community--gpt2"
        try HubTestSupport.write(folder + "/blobs/\(sha).incomplete", weights.prefix(77_777))
        let files = try locator().resolve("openai-community/gpt2")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: files.weightsPath)), weights)
        XCTAssertTrue(server.requests.contains("GET /cdn/\(sha) bytes=77777-"), "\(server.requests)")
    }

    func testWrongSHA256IsRejectedAndNotCached() throws {
        let wrong = String(repeating: "ab", count: 32)
        try HubTestSupport.write(serverRoot + "/openai-community/gpt2/BEHAVIOUR.json", #"{"model.safetensors": {"etag": "\#(wrong)"}}"#)
        let error = HubTestSupport.expectHubError { _ = try locator().resolve("openai-community/gpt2") }
        guard case let .checksumMismatch(_, expected, actual) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(expected, wrong)
        XCTAssertEqual(actual, sha)
        let folder = cacheRoot + "/models--openai-community--gpt2"
        let blobs = (try? FileManager.default.contentsOfDirectory(atPath: folder + "/blobs")) ?? []
        XCTAssertFalse(blobs.contains { $0.hasPrefix(wrong) || $0 == sha }, "\(blobs)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/snapshots/\(commit)/model.safetensors"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/refs/main"), "no ref to a half-filled snapshot")
        guard case .offlineAndNotCached = HubTestSupport.expectHubError({ _ = try locator(offline: true).resolve("openai-community/gpt2") })
        else { return XCTFail() }
    }

    func testNotFoundIsClearError() throws {
        try FileManager.default.removeItem(atPath: serverRoot + "/openai-community/gpt2/merges.txt")
        let error = HubTestSupport.expectHubError { _ = try locator().resolve("openai-community/gpt2") }
        guard case let .httpStatus(url, status, code, _) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(status, 404)
        XCTAssertEqual(code, "EntryNotFound")
        XCTAssertTrue(url.hasSuffix("/merges.txt"), url)

        let missingRepo = HubTestSupport.expectHubError { _ = try locator().resolve("nobody/nothing") }
        guard case let .httpStatus(_, status2, code2, _) = missingRepo else { return XCTFail() }
        XCTAssertEqual(status2, 404)
        XCTAssertEqual(code2, "RepoNotFound")

        // A pickle-only repository: the 404 for model.safetensors says why nothing else is tried.
        try HubTestSupport.write(serverRoot + "/old/model/config.json", "{}")
        try HubTestSupport.write(serverRoot + "/old/model/pytorch_model.bin", "pickle")
        let pickle = HubTestSupport.expectHubError { _ = try locator().resolve("old/model") }
        XCTAssertTrue(pickle?.description.contains("never loads pickle files") == true, "\(String(describing: pickle))")
        XCTAssertFalse(server.requests.contains { $0.contains("pytorch_model.bin") })
    }

    func testConnectionRefusedIsNetworkError() throws {
        server.stop()
        let error = HubTestSupport.expectHubError { _ = try locator().resolve("openai-community/gpt2") }
        guard case .network = error else { return XCTFail("\(String(describing: error))") }
    }
}
