// CPUID and XGETBV, which Swift cannot issue: the CPU's own account of its instruction sets
// (Intel SDM vol. 2A, "CPUID"), and which register states the OS saves on a context switch
// (XCR0), without which AVX/AVX-512 instructions fault even on a CPU that has them.
#ifndef CCPUID_H
#define CCPUID_H

#include <stdint.h>

/// Fills regs (eax, ebx, ecx, edx) with CPUID(leaf, subleaf). Returns 1, or 0 (regs zeroed) when
/// the leaf is above the CPU's maximum for its range or the machine is not x86.
int saestore_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);

/// XCR0 when the OS has enabled XSAVE (CPUID.1:ECX.OSXSAVE), else 0; 0 on non-x86 machines.
uint64_t saestore_xcr0(void);

#endif
