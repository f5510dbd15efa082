import Foundation
import XCTest
@testable import Extract
import TestTools

final class HubSHA256Tests: XCTestCase {
    private func digest(_ bytes: [UInt8], pieces: Int = 1) -> String {
        var hasher = SHA256()
        let step = max(1, bytes.count / pieces)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + step)
            bytes[start..<end].withUnsafeBytes { hasher.update($0) }
            start = end
        }
        return hasher.finalizeHex()
    }

    /// FIPS 180-4 example vectors, fed whole and in odd-sized pieces.
    func testKnownVectors() {
        XCTAssertEqual(digest([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(digest(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let twoBlocks = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        XCTAssertEqual(digest(twoBlocks), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(digest(twoBlocks, pieces: 7), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        XCTAssertEqual(digest(million, pieces: 13), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every length around the padding boundary agrees with python's hashlib.
    func testPaddingBoundariesAgainstPython() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [try ExternalTool.python(importing: "hashlib"), "-c", "import hashlib\nfor n in range(0, 130): print(hashlib.sha256(bytes(i % 251 for i in range(n))).hexdigest())"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let expected = output.split(separator: "\n").map(String.init)
        XCTAssertEqual(expected.count, 130)
        for n in 0..<min(130, expected.count) {
            XCTAssertEqual(digest((0..<n).map { UInt8($0 % 251) }, pieces: 3), expected[n], "length \(n)")
        }
    }
}
