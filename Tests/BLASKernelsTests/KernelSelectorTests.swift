@testable import BLASKernels
import Foundation
import XCTest

/// The selector around the decision: environment, cache, and when the self-checks run.
final class KernelSelectorTests: XCTestCase {
    let cpu = KernelSelectionTests.avx512

    func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "blas-cache-\(UUID().uuidString.prefix(8))"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// The self-checks a selector asked for.
    final class Asked {
        var cores: [String] = []
    }

    func selector(_ environment: [String: String], cache: String, answers: [String: SelfCheckOutcome], asked: Asked) -> KernelSelector {
        var selector = KernelSelector(environment: environment, executable: "/nonexistent", cacheDirectory: cache)
        selector.selfCheck = { core in
            asked.cores.append(core)
            return answers[core] ?? .failed("no answer")
        }
        return selector
    }

    /// The first run checks and caches; the second reads the verdict and checks nothing.
    func testVerdictIsCachedPerMachine() throws {
        let cache = temporaryDirectory()
        let asked = Asked()
        let first = selector([:], cache: cache, answers: ["SkylakeX": .failed("crashed (signal 4)"), "Haswell": .passed], asked: asked)
            .decide(openBLASCore: "Prescott", openBLASBuild: "OpenBLAS 0.3.21 DYNAMIC_ARCH", cpu: cpu)
        XCTAssertEqual(first.reexecCoretype, "Haswell")
        XCTAssertEqual(asked.cores, ["SkylakeX", "Haswell"])
        asked.cores = []
        let second = selector([:], cache: cache, answers: [:], asked: asked)
            .decide(openBLASCore: "Prescott", openBLASBuild: "OpenBLAS 0.3.21 DYNAMIC_ARCH", cpu: cpu)
        XCTAssertEqual(second, first)
        XCTAssertEqual(asked.cores, [])
        // Another library build is another machine identity: checked afresh.
        _ = selector([:], cache: cache, answers: ["SkylakeX": .passed], asked: asked)
            .decide(openBLASCore: "Prescott", openBLASBuild: "OpenBLAS 0.3.26 DYNAMIC_ARCH", cpu: cpu)
        XCTAssertEqual(asked.cores, ["SkylakeX"])
    }

    /// A set variable, or the opt-out, runs no check, writes no cache and never asks to re-execute.
    func testVariableAndOptOutNeverCheckOrReexec() throws {
        for environment in [["OPENBLAS_CORETYPE": "Prescott"], ["SAESTORE_BLAS_AUTO": "0"]] {
            let cache = temporaryDirectory()
            let asked = Asked()
            let decision = selector(environment, cache: cache, answers: ["SkylakeX": .passed], asked: asked)
                .decide(openBLASCore: "Prescott", openBLASBuild: "b", cpu: cpu)
            XCTAssertNil(decision.reexecCoretype, "\(environment)")
            XCTAssertEqual(asked.cores, [], "\(environment)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: cache), "\(environment)")
        }
    }

    /// The re-executed process knows it was re-executed and reports the verdict that caused it.
    func testReexecutedProcessReportsTheCachedReason() throws {
        let cache = temporaryDirectory()
        let asked = Asked()
        let original = selector([:], cache: cache, answers: ["SkylakeX": .passed], asked: asked)
            .decide(openBLASCore: "Prescott", openBLASBuild: "b", cpu: cpu)
        let child = selector(["OPENBLAS_CORETYPE": "SkylakeX", "SAESTORE_BLAS_SELECTED": "SkylakeX"], cache: cache, answers: [:], asked: asked)
        XCTAssertTrue(child.isReexecuted)
        let decision = child.decide(openBLASCore: "SkylakeX", openBLASBuild: "b", cpu: cpu)
        XCTAssertEqual(decision.origin, .selection)
        XCTAssertNil(decision.reexecCoretype)
        XCTAssertEqual(decision.reason, original.reason)
        XCTAssertEqual(asked.cores, ["SkylakeX"])
        // A user who set the variable to something else is not mistaken for a re-execution.
        let user = selector(["OPENBLAS_CORETYPE": "Haswell", "SAESTORE_BLAS_SELECTED": "SkylakeX"], cache: cache, answers: [:], asked: asked)
        XCTAssertFalse(user.isReexecuted)
        XCTAssertEqual(user.decide(openBLASCore: "Haswell", openBLASBuild: "b", cpu: cpu).origin, .variable)
    }

    /// A damaged cache file is read as no cache and rewritten whole.
    func testDamagedCacheIsRebuilt() throws {
        let cache = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: cache + "/blas-kernels.json"))
        let asked = Asked()
        let decision = selector([:], cache: cache, answers: ["SkylakeX": .passed], asked: asked)
            .decide(openBLASCore: "Prescott", openBLASBuild: "b", cpu: cpu)
        XCTAssertEqual(asked.cores, ["SkylakeX"])
        let stored = try JSONDecoder().decode([String: KernelDecision].self, from: Data(contentsOf: URL(fileURLWithPath: cache + "/blas-kernels.json")))
        XCTAssertEqual(Array(stored.values), [decision])
    }

    /// The cache key does not change with the kernel set a process runs (the re-exec must find it).
    func testBuildIdentityDropsTheCoreName() {
        XCTAssertFalse(OpenBLAS.buildIdentity.lowercased().split(separator: " ").contains(Substring(OpenBLAS.coreName.lowercased())))
        XCTAssertTrue(OpenBLAS.configuration.hasPrefix("OpenBLAS"), OpenBLAS.configuration)
    }
}
