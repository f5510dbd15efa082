// libFuzzer target: bytes -> a temporary .npy file -> NPYFile(path:), then rows read back.
// Built by scripts/fuzz.sh with TensorIO's sources compiled in.
// Expectation: any input either opens or throws TensorIOError; no trap, no ASan report.
private let scratchPath = FuzzScratch.path(suffix: "npy")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzScratch.write(UnsafeBufferPointer(start: data, count: size), to: scratchPath)
    do {
        let file = try NPYFile(path: scratchPath)
        // A valid header may describe more rows than worth decoding; read a bounded prefix.
        let rowCount = min(file.rowCount, 64)
        if file.width <= 4096 {
            var out: [Float] = []
            try? file.readRows(0..<rowCount, into: &out)
            if file.rowCount > 0 { try? file.readRows((file.rowCount - 1)..<file.rowCount, into: &out) }
        }
    } catch is TensorIOError {
    } catch {
        fatalError("NPYFile threw an untyped error: \(error)")
    }
    return 0
}
