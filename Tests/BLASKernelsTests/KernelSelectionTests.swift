@testable import BLASKernels
import XCTest

/// The decision on a table of (variable, OpenBLAS core, CPU features, self-check results) cases.
final class KernelSelectionTests: XCTestCase {
    static let avx512 = CPUFeatures(brand: "Intel(R) Xeon(R) Processor", avx: true, avx2: true, fma: true, avx512f: true,
                                    avx512bw: true, avx512dq: true, avx512vl: true, osSavesYMM: true, osSavesZMM: true)
    static let avx2 = CPUFeatures(vendor: "AuthenticAMD", avx: true, avx2: true, fma: true, osSavesYMM: true)
    /// AVX-512 in the CPU but not saved by the OS (XCR0): only AVX2 is usable.
    static let avx512NoOS = CPUFeatures(avx: true, avx2: true, fma: true, avx512f: true, avx512bw: true, avx512dq: true,
                                        avx512vl: true, osSavesYMM: true, osSavesZMM: false)
    static let sseOnly = CPUFeatures()

    struct Case {
        var name: String
        var variable: String?
        var automatic = true
        var loaded: String
        var cpu: CPUFeatures
        var checks: [String: SelfCheckOutcome] = [:]
        var kernelSet: String
        var origin: KernelOrigin
        var reexec: String?
        var tried: [String]
        var reasonContains: String
    }

    func testDecisionTable() {
        let crash = SelfCheckOutcome.failed("crashed (signal 4)")
        let cases: [Case] = [
            Case(name: "variable set: respected even when below the CPU", variable: "Prescott", loaded: "Prescott", cpu: Self.avx512,
                 kernelSet: "Prescott", origin: .variable, reexec: nil, tried: [], reasonContains: "OPENBLAS_CORETYPE=Prescott"),
            Case(name: "variable set to a name OpenBLAS replaced: the loaded set is reported", variable: "Nonsense", loaded: "Haswell",
                 cpu: Self.avx2, kernelSet: "Haswell", origin: .variable, reexec: nil, tried: [], reasonContains: "respects"),
            Case(name: "opted out", automatic: false, loaded: "Prescott", cpu: Self.avx512,
                 kernelSet: "Prescott", origin: .openBLAS, reexec: nil, tried: [], reasonContains: "SAESTORE_BLAS_AUTO=0"),
            Case(name: "OpenBLAS already at the CPU's level", loaded: "SkylakeX", cpu: Self.avx512,
                 kernelSet: "SkylakeX", origin: .openBLAS, reexec: nil, tried: [], reasonContains: "own choice"),
            Case(name: "OpenBLAS chose Zen on AVX2: same level", loaded: "Zen", cpu: Self.avx2,
                 kernelSet: "Zen", origin: .openBLAS, reexec: nil, tried: [], reasonContains: "own choice"),
            Case(name: "unidentified AVX-512 CPU: SkylakeX passes", loaded: "Prescott", cpu: Self.avx512, checks: ["SkylakeX": .passed],
                 kernelSet: "SkylakeX", origin: .selection, reexec: "SkylakeX", tried: ["SkylakeX"], reasonContains: "SkylakeX passed"),
            Case(name: "SkylakeX crashes: falls back to Haswell", loaded: "Prescott", cpu: Self.avx512,
                 checks: ["SkylakeX": crash, "Haswell": .passed], kernelSet: "Haswell", origin: .selection, reexec: "Haswell",
                 tried: ["SkylakeX", "Haswell"], reasonContains: "SkylakeX failed"),
            Case(name: "both fail: OpenBLAS's choice kept", loaded: "Prescott", cpu: Self.avx512,
                 checks: ["SkylakeX": crash, "Haswell": .failed("wrong")], kernelSet: "Prescott", origin: .openBLAS, reexec: nil,
                 tried: ["SkylakeX", "Haswell"], reasonContains: "failed the self-check"),
            Case(name: "OpenBLAS chose Haswell on AVX-512: only SkylakeX is tried", loaded: "Haswell", cpu: Self.avx512,
                 checks: ["SkylakeX": .passed], kernelSet: "SkylakeX", origin: .selection, reexec: "SkylakeX", tried: ["SkylakeX"],
                 reasonContains: "OpenBLAS chose Haswell"),
            Case(name: "OpenBLAS chose Haswell, SkylakeX fails: Haswell kept, no re-exec", loaded: "Haswell", cpu: Self.avx512,
                 checks: ["SkylakeX": crash], kernelSet: "Haswell", origin: .openBLAS, reexec: nil, tried: ["SkylakeX"],
                 reasonContains: "SkylakeX failed"),
            Case(name: "AVX-512 not saved by the OS: Haswell only", loaded: "Prescott", cpu: Self.avx512NoOS,
                 checks: ["Haswell": .passed], kernelSet: "Haswell", origin: .selection, reexec: "Haswell", tried: ["Haswell"],
                 reasonContains: "AVX2+FMA"),
            Case(name: "SSE-only CPU: nothing to try", loaded: "Prescott", cpu: Self.sseOnly,
                 kernelSet: "Prescott", origin: .openBLAS, reexec: nil, tried: [], reasonContains: "own choice"),
            Case(name: "case-blind core names", loaded: "HASWELL", cpu: Self.avx2,
                 kernelSet: "HASWELL", origin: .openBLAS, reexec: nil, tried: [], reasonContains: "own choice"),
        ]
        for c in cases {
            var asked: [String] = []
            let decision = KernelSelection.decide(
                KernelSelectionInput(coretypeVariable: c.variable, automatic: c.automatic, openBLASCore: c.loaded, cpu: c.cpu)
            ) { core in
                asked.append(core)
                return c.checks[core] ?? .failed("no answer in the table")
            }
            XCTAssertEqual(decision.kernelSet, c.kernelSet, c.name)
            XCTAssertEqual(decision.origin, c.origin, c.name)
            XCTAssertEqual(decision.reexecCoretype, c.reexec, c.name)
            XCTAssertEqual(asked, c.tried, c.name)
            XCTAssertEqual(decision.checks.map(\.kernelSet), c.tried, c.name)
            XCTAssertTrue(decision.reason.contains(c.reasonContains), "\(c.name): \(decision.reason)")
        }
    }

    func testLevels() {
        XCTAssertEqual(Self.avx512.level, .avx512)
        XCTAssertEqual(Self.avx512NoOS.level, .avx2)
        XCTAssertEqual(Self.avx2.level, .avx2)
        XCTAssertEqual(CPUFeatures(avx: true, avx2: true, fma: false, osSavesYMM: true).level, .avx)
        XCTAssertEqual(Self.sseOnly.level, .sse)
        XCTAssertEqual(KernelSet.level(ofCore: "SkylakeX"), .avx512)
        XCTAssertEqual(KernelSet.level(ofCore: "Prescott"), .sse)
        XCTAssertEqual(KernelSet.level(ofCore: "unknown"), .sse)
    }

    /// The CPU seen through CPUID agrees with /proc/cpuinfo's flags, where Linux has them.
    func testCPUIDAgreesWithProcCPUInfo() throws {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            throw XCTSkip("no /proc/cpuinfo flags on this machine")
        }
        let flags = Set(flagsLine.split(separator: ":")[1].split(separator: " ").map(String.init))
        let cpu = CPUFeatures.current
        XCTAssertEqual(cpu.avx2, flags.contains("avx2"))
        XCTAssertEqual(cpu.fma, flags.contains("fma"))
        XCTAssertEqual(cpu.avx512f, flags.contains("avx512f"))
        XCTAssertEqual(cpu.avx512bw, flags.contains("avx512bw"))
        XCTAssertEqual(cpu.avx512dq, flags.contains("avx512dq"))
        XCTAssertEqual(cpu.avx512vl, flags.contains("avx512vl"))
        XCTAssertEqual(cpu.sse3, flags.contains("pni"))  // Linux calls SSE3 "pni"
        if let model = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }) {
            XCTAssertEqual(cpu.brand, model.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces))
        }
    }
}
