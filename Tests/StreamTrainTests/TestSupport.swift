import Foundation
import XCTest
@testable import StreamTrain

/// Random SAEs and batches for tests (deterministic per seed).
enum TestSAE {
    static func make(_ architecture: SAEArchitecture, dIn C: Int, dSAE H: Int, k: Int = 0,
                     applyBDecToInput: Bool? = nil, seed: UInt64 = 1) -> SparseAutoencoder {
        var rng = SeededGenerator(seed: seed)
        let weights = SAEWeights(
            wEnc: (0..<(C * H)).map { _ in rng.nextSymmetric(bound: 0.5) },
            bEnc: (0..<H).map { _ in rng.nextSymmetric(bound: 0.2) },
            wDec: architecture.isTied ? [] : (0..<(H * C)).map { _ in rng.nextSymmetric(bound: 0.5) },
            bDec: (0..<C).map { _ in rng.nextSymmetric(bound: 0.2) })
        return try! SparseAutoencoder(architecture: architecture, dIn: C, dSAE: H, k: k,
                                      applyBDecToInput: applyBDecToInput ?? architecture.defaultApplyBDecToInput,
                                      weights: weights)
    }

    static func batch(rowCount: Int, dIn: Int, seed: UInt64 = 2) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<(rowCount * dIn)).map { _ in rng.nextSymmetric(bound: 1) }
    }
}

/// Asserts |a − b| ≤ relative · max|b| + absolute elementwise, naming the first failure.
func assertClose(_ a: [Double], _ b: [Double], relative: Double, absolute: Double,
                 _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(what): sizes differ", file: file, line: line)
    let scale = b.map(abs).max() ?? 0
    let tolerance = relative * scale + absolute
    for i in 0..<min(a.count, b.count) where !(abs(a[i] - b[i]) <= tolerance) {
        XCTFail("\(what)[\(i)]: \(a[i]) vs \(b[i]) (tolerance \(tolerance))", file: file, line: line)
        return
    }
}

/// The package root, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

func temporaryDirectory(_ name: String = #function) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("streamtrain-\(name.filter(\.isLetter))-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs `executable` (looked up on PATH) and returns its status and combined output.
func runProcess(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do { try process.run() } catch { return (-1, "\(error)") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
