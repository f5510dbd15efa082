/// What this CPU can run, from CPUID and XCR0: the facts kernel selection decides on.
public struct CPUFeatures: Codable, Equatable, Sendable {
    /// CPUID vendor string, e.g. "GenuineIntel", "AuthenticAMD"; empty off x86.
    public var vendor: String
    /// The brand string (CPUID 0x80000002–4), e.g. "Intel(R) Xeon(R) Processor".
    public var brand: String
    /// CPUID.1:EAX (stepping, model, family and their extensions): with the vendor, the CPU's identity.
    public var signature: UInt32
    /// SSE3 (CPUID.1:ECX bit 0): the floor of OpenBLAS's x86-64 kernels, `KernelLevel.sse`.
    public var sse3: Bool
    /// AVX (CPUID.1:ECX bit 28); usable only with `osSavesYMM`.
    public var avx: Bool
    /// AVX2 (CPUID.7.0:EBX bit 5); with `fma` and `osSavesYMM`, the Haswell kernels' level.
    public var avx2: Bool
    /// FMA3 (CPUID.1:ECX bit 12); the Haswell kernels need it beside AVX2.
    public var fma: Bool
    /// AVX-512 Foundation (CPUID.7.0:EBX bit 16); SkylakeX kernels need it with BW, DQ, VL and `osSavesZMM`.
    public var avx512f: Bool
    /// AVX-512 Byte and Word (CPUID.7.0:EBX bit 30).
    public var avx512bw: Bool
    /// AVX-512 Doubleword and Quadword (CPUID.7.0:EBX bit 17).
    public var avx512dq: Bool
    /// AVX-512 Vector Length extensions (CPUID.7.0:EBX bit 31).
    public var avx512vl: Bool
    /// The OS saves the YMM state (XCR0 bits 1–2): AVX and AVX2 instructions are usable.
    public var osSavesYMM: Bool
    /// The OS saves the opmask and ZMM states (XCR0 bits 5–7): AVX-512 instructions are usable.
    public var osSavesZMM: Bool

    /// Every field given; tests build CPUs this way.
    public init(vendor: String = "GenuineIntel", brand: String = "", signature: UInt32 = 0,
                sse3: Bool = true, avx: Bool = false, avx2: Bool = false, fma: Bool = false,
                avx512f: Bool = false, avx512bw: Bool = false, avx512dq: Bool = false, avx512vl: Bool = false,
                osSavesYMM: Bool = false, osSavesZMM: Bool = false) {
        self.vendor = vendor
        self.brand = brand
        self.signature = signature
        self.sse3 = sse3
        self.avx = avx
        self.avx2 = avx2
        self.fma = fma
        self.avx512f = avx512f
        self.avx512bw = avx512bw
        self.avx512dq = avx512dq
        self.avx512vl = avx512vl
        self.osSavesYMM = osSavesYMM
        self.osSavesZMM = osSavesZMM
    }

    /// This machine's CPU.
    public static var current: CPUFeatures { CPUID.readFeatures() }

    /// The highest instruction-set level usable here: the CPU has it and the OS saves its registers.
    /// OpenBLAS's SkylakeX kernels need AVX-512 F, BW, DQ and VL; its Haswell kernels AVX2 and FMA.
    public var level: KernelLevel {
        if avx512f && avx512bw && avx512dq && avx512vl && osSavesYMM && osSavesZMM { return .avx512 }
        if avx2 && fma && osSavesYMM { return .avx2 }
        if avx && osSavesYMM { return .avx }
        return .sse
    }

    /// The features that matter here, as the names CPU manuals use.
    public var featureNames: [String] {
        let all: [(Bool, String)] = [(sse3, "SSE3"), (avx, "AVX"), (avx2, "AVX2"), (fma, "FMA"), (avx512f, "AVX-512F"),
                                     (avx512bw, "AVX-512BW"), (avx512dq, "AVX-512DQ"), (avx512vl, "AVX-512VL")]
        return all.filter(\.0).map(\.1)
    }

    /// Family/model/stepping as Intel's and AMD's documents print them (display family and model).
    public var familyModelStepping: String {
        let stepping = signature & 0xF, baseModel = (signature >> 4) & 0xF, baseFamily = (signature >> 8) & 0xF
        let family = baseFamily == 0xF ? baseFamily + ((signature >> 20) & 0xFF) : baseFamily
        let model = (baseFamily == 0x6 || baseFamily == 0xF) ? baseModel | (((signature >> 16) & 0xF) << 4) : baseModel
        return "family \(family) model \(model) stepping \(stepping)"
    }
}

/// Instruction-set levels, in the order OpenBLAS's x86-64 kernel sets need them.
public enum KernelLevel: Int, Codable, Comparable, Sendable, CustomStringConvertible {
    /// SSE3 (the x86-64 floor); AVX; AVX2 with FMA (Haswell kernels); AVX-512 F+BW+DQ+VL (SkylakeX kernels).
    case sse = 1, avx, avx2, avx512

    /// Orders levels by what they need: `.sse` < `.avx` < `.avx2` < `.avx512`.
    public static func < (a: KernelLevel, b: KernelLevel) -> Bool { a.rawValue < b.rawValue }

    /// "SSE3", "AVX", "AVX2+FMA", "AVX-512".
    public var description: String {
        switch self {
        case .sse: return "SSE3"
        case .avx: return "AVX"
        case .avx2: return "AVX2+FMA"
        case .avx512: return "AVX-512"
        }
    }
}
