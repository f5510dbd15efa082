// libFuzzer target: bytes -> a temporary config.json -> GPT2Config.load (JSON decoding of the
// HF keys + validate()), then what a loader derives from a valid config: every parameter shape
// and element count, the MLP and head widths, every hook point's width.
// Expectations: any input loads or throws GPT2ModelError; no trap (e.g. an overflowing shape
// product); a valid config survives encode -> decode unchanged.
import Foundation

private let scratchPath = FuzzScratch.path(suffix: "config.json")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // swift-foundation's Data(contentsOf:) leaks its 4 KiB probe buffer on an empty file (its
    // zero-size path for /proc-like files hands a 0-byte .free buffer to Data, which drops it);
    // not ours, and LeakSanitizer would stop every run on it.
    if size == 0 { return 0 }
    FuzzScratch.write(UnsafeBufferPointer(start: data, count: size), to: scratchPath)
    let config: GPT2Config
    do {
        config = try GPT2Config.load(path: scratchPath)
    } catch is GPT2ModelError {
        return 0
    } catch {
        fatalError("GPT2Config.load threw an untyped error: \(error)")
    }
    // What GPT2Weights.load and the forward pass compute from the config before allocating.
    var elementCount = 0
    for p in GPT2Weights.parameters(config) { elementCount &+= p.shape.reduce(1, *) }
    for p in GPT2LayerWeights.parameters(config) { elementCount &+= p.shape.reduce(1, *) }
    _ = (config.mlpWidth, config.headWidth, config.activation, elementCount)
    for site in HookPoint.Site.allCases {
        if let hook = try? HookPoint(parsing: "blocks.\(config.layerCount - 1).\(site.rawValue)", config: config) {
            _ = hook.width(config)
        }
    }
    let encoded = try! JSONEncoder().encode(config)
    let decoded = try! JSONDecoder().decode(GPT2Config.self, from: encoded)
    precondition(decoded == config, "config changed in an encode/decode round trip: \(config) -> \(decoded)")
    return 0
}
