@testable import BLASKernels
import Foundation
import XCTest

final class KernelSelfCheckTests: XCTestCase {
    /// The loaded kernels pass every check against the plain reference; one perturbed output fails it.
    func testLoadedKernelsPassAndAPerturbedOutputFails() {
        let report = KernelSelfCheck.run()
        XCTAssertEqual(report.coreName, OpenBLAS.coreName)
        XCTAssertTrue(report.passed, "\(report.results.filter { !$0.passed })")
        XCTAssertEqual(report.results.count, 10)
        let corrupted = KernelSelfCheck.run(corrupt: true)
        XCTAssertFalse(corrupted.passed)
        XCTAssertEqual(corrupted.results.filter { !$0.passed }.count, 1)
    }

    /// How a child ended and what it printed become the outcome, each failure with its reason.
    func testChildOutcomes() throws {
        let good = KernelSelfCheck.Report(coreName: "Haswell", results: [.init(name: "sgemm x", worstErrorOverBound: 0.01, passed: true)])
        let bad = KernelSelfCheck.Report(coreName: "Haswell", results: [.init(name: "sgemm x", worstErrorOverBound: 7, passed: false)])
        let encode = { (r: KernelSelfCheck.Report) in try JSONEncoder().encode(r) }
        XCTAssertEqual(ChildSelfCheck.outcome(core: "Haswell", reason: .exit, status: 0, stdout: try encode(good)), .passed)
        XCTAssertEqual(ChildSelfCheck.outcome(core: "haswell", reason: .exit, status: 0, stdout: try encode(good)), .passed)
        guard case .failed(let wrong) = ChildSelfCheck.outcome(core: "Haswell", reason: .exit, status: 1, stdout: try encode(bad)) else {
            return XCTFail("a wrong result passed")
        }
        XCTAssertTrue(wrong.contains("sgemm x"), wrong)
        guard case .failed(let other) = ChildSelfCheck.outcome(core: "SkylakeX", reason: .exit, status: 0, stdout: try encode(good)) else {
            return XCTFail("another core passed")
        }
        XCTAssertTrue(other.contains("ran Haswell when asked for SkylakeX"), other)
        guard case .failed(let crash) = ChildSelfCheck.outcome(core: "SkylakeX", reason: .uncaughtSignal, status: SIGILL, stdout: Data()) else {
            return XCTFail("a crash passed")
        }
        XCTAssertTrue(crash.contains("crashed (signal 4)"), crash)
        XCTAssertEqual(ChildSelfCheck.outcome(core: "Haswell", reason: .exit, status: 0, stdout: Data("garbage".utf8)),
                       .failed("the self-check with Haswell exited with status 0 and no report"))
    }

    func testInjectedFaultParsing() {
        let environment = [KernelSelector.faultVariable: "SkylakeX:crash,haswell:wrong"]
        XCTAssertEqual(ChildSelfCheck.injectedFault(core: "skylakex", environment: environment), .crash)
        XCTAssertEqual(ChildSelfCheck.injectedFault(core: "Haswell", environment: environment), .wrong)
        XCTAssertNil(ChildSelfCheck.injectedFault(core: "Prescott", environment: environment))
        XCTAssertNil(ChildSelfCheck.injectedFault(core: "Haswell", environment: [:]))
    }
}
