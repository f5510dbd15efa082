import Foundation
import XCTest
import TestTools

/// demo/model is what the tests that need only a tokenizer or a small real model stand on, so
/// it must be what it claims: ../shared/data's tiny-shakespeare-gpt2 with every tensor rounded
/// to f16 (numpy's round-to-nearest-even, read with the real `safetensors` package), the same
/// config, and GPT-2's own tokenizer files byte for byte. Needs ../shared (skipped without it:
/// it checks the copy, and the copy is what a clone without ../shared has).
final class DemoModelTests: XCTestCase {
    func testDemoModelIsTheSharedModelRoundedToF16() throws {
        let shared = try sharedData("models/tiny-shakespeare-gpt2")
        let tokenizer = try sharedData("gpt2-tokenizer")
        let demo = packageRoot.appendingPathComponent("demo/model")
        for (file, original) in [("vocab.json", tokenizer), ("merges.txt", tokenizer), ("config.json", shared)] {
            XCTAssertEqual(try Data(contentsOf: demo.appendingPathComponent(file)),
                           try Data(contentsOf: original.appendingPathComponent(file)), "demo/model/\(file)")
        }
        let python = try ExternalTool.python(importing: "numpy", "safetensors.numpy")
        let script = """
            import sys, numpy as np
            from safetensors.numpy import load_file
            a, b = load_file(sys.argv[1]), load_file(sys.argv[2])
            assert sorted(a) == sorted(b), (sorted(set(a) ^ set(b)))
            for name in sorted(a):
                assert b[name].dtype == np.float16, (name, b[name].dtype)
                assert a[name].shape == b[name].shape, (name, a[name].shape, b[name].shape)
                assert np.array_equal(a[name].astype(np.float16), b[name]), name
            print(len(a), "tensors equal")
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", script, shared.appendingPathComponent("model.safetensors").path,
                             demo.appendingPathComponent("model.safetensors").path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
        XCTAssertTrue(output.contains("tensors equal"), output)
    }
}
