// libFuzzer target: bytes -> a temporary .safetensors file -> SafetensorsFile(path:), then every
// tensor read as floats. Built by scripts/fuzz.sh with TensorIO's sources compiled in.
// Expectation: any input either opens or throws TensorIOError; no trap, no ASan report.
import Foundation

private let scratchPath = FuzzScratch.path(suffix: "safetensors")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzScratch.write(UnsafeBufferPointer(start: data, count: size), to: scratchPath)
    do {
        let file = try SafetensorsFile(path: scratchPath)
        for name in file.tensorNames {
            let info = try file.info(name)
            // Only decode modest tensors: a valid header may describe gigabytes of zeros.
            if info.byteRange.count <= 1 << 20, info.dtype.isFloatingPoint {
                _ = try? file.floats(name)
            }
            _ = try? file.matrixShape(name)
        }
    } catch is TensorIOError {
    } catch {
        fatalError("SafetensorsFile threw an untyped error: \(error)")
    }
    return 0
}
