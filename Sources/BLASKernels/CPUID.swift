import Foundation
import CCPUID

/// The module's only door to the CPUID shim.
enum CPUID {
    static func readFeatures() -> CPUFeatures {
        var features = CPUFeatures(sse3: false)
        guard let leaf0 = registers(0), leaf0.eax >= 1 else { return features }
        features.vendor = ascii([leaf0.ebx, leaf0.edx, leaf0.ecx])
        if let leaf1 = registers(1) {
            features.signature = leaf1.eax
            features.sse3 = leaf1.ecx & (1 << 0) != 0
            features.fma = leaf1.ecx & (1 << 12) != 0
            features.avx = leaf1.ecx & (1 << 28) != 0
        }
        if leaf0.eax >= 7, let leaf7 = registers(7) {
            features.avx2 = leaf7.ebx & (1 << 5) != 0
            features.avx512f = leaf7.ebx & (1 << 16) != 0
            features.avx512dq = leaf7.ebx & (1 << 17) != 0
            features.avx512bw = leaf7.ebx & (1 << 30) != 0
            features.avx512vl = leaf7.ebx & (1 << 31) != 0
        }
        let xcr0 = saestore_xcr0()
        features.osSavesYMM = xcr0 & 0x6 == 0x6  // SSE and AVX state
        features.osSavesZMM = xcr0 & 0xE0 == 0xE0  // opmask, ZMM_Hi256, Hi16_ZMM
        if let extended = registers(0x8000_0000), extended.eax >= 0x8000_0004 {
            var words: [UInt32] = []
            for leaf: UInt32 in 0x8000_0002...0x8000_0004 {
                if let r = registers(leaf) { words += [r.eax, r.ebx, r.ecx, r.edx] }
            }
            features.brand = ascii(words).trimmingCharacters(in: .whitespaces)
        }
        return features
    }

    private static func registers(_ leaf: UInt32, _ subleaf: UInt32 = 0) -> (eax: UInt32, ebx: UInt32, ecx: UInt32, edx: UInt32)? {
        var regs: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
        let ok = withUnsafeMutableBytes(of: &regs) { raw in
            saestore_cpuid(leaf, subleaf, raw.baseAddress!.assumingMemoryBound(to: UInt32.self))
        }
        return ok == 1 ? (regs.0, regs.1, regs.2, regs.3) : nil
    }

    /// Registers as the little-endian ASCII CPUID packs its strings in, NULs dropped.
    private static func ascii(_ words: [UInt32]) -> String {
        var bytes: [UInt8] = []
        for word in words {
            for shift in stride(from: 0, to: 32, by: 8) {
                let byte = UInt8(truncatingIfNeeded: word >> UInt32(shift))
                if byte != 0 { bytes.append(byte) }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
