import TensorIO
import Foundation
import XCTest

/// The built `saestore` executable (beside the test bundle).
func saestoreExecutable() throws -> String {
    let bundle = Bundle(for: CLIRunResult.self).bundleURL
    let dir = bundle.pathExtension == "xctest" ? bundle.deletingLastPathComponent() : bundle
    let path = dir.appendingPathComponent("saestore").path
    // These tests compare the CLI's numbers bitwise with this process's, whose OpenBLAS loaded
    // before any test ran: the CLI must keep the same kernels, so its selection is off unless a
    // test (DoctorCommandTests) passes an environment of its own.
    setenv("SAESTORE_BLAS_AUTO", "0", 0)
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw XCTSkip("saestore not built at \(path) (run `swift build --build-tests`)")
    }
    return path
}

final class CLIRunResult {
    let status: Int32
    let stdout: String
    let stderr: String
    init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Runs saestore to completion and captures its output.
@discardableResult
func saestore(_ arguments: [String], environment: [String: String]? = nil) throws -> CLIRunResult {
    try runProcess(try saestoreExecutable(), arguments, environment: environment)
}

/// Runs `executable` to completion and captures its output.
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                workingDirectory: String? = nil) throws -> CLIRunResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CLIRunResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                        stderr: String(decoding: errData, as: UTF8.self))
}

func temporaryPath(_ test: XCTestCase, _ name: String) -> String {
    let path = NSTemporaryDirectory() + "cli-\(name)-\(UUID().uuidString.prefix(8))"
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// SplitMix64-based activation-like rows (some latent structure so an SAE has something to learn).
func syntheticActivations(rows: Int, width: Int, seed: UInt64) -> [Float] {
    var s = seed
    func next() -> UInt64 {
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    func uniform() -> Float { Float(next() >> 40) / Float(1 << 24) }
    let atoms = (0..<(width * 4)).map { _ in (0..<width).map { _ in uniform() * 2 - 1 } }
    var values = [Float](repeating: 0, count: rows * width)
    for r in 0..<rows {
        for _ in 0..<3 {
            let atom = atoms[Int(next() % UInt64(atoms.count))]
            let strength = uniform() * 3
            for j in 0..<width { values[r * width + j] += strength * atom[j] }
        }
        for j in 0..<width { values[r * width + j] += 0.05 * (uniform() - 0.5) }
    }
    return values
}
