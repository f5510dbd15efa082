#include "CCPUID.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

int saestore_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]) {
    unsigned int a = 0, b = 0, c = 0, d = 0;
    // __get_cpuid_count checks the range's maximum leaf first (leaf 0 or 0x80000000).
    if (!__get_cpuid_count(leaf, subleaf, &a, &b, &c, &d)) {
        regs[0] = regs[1] = regs[2] = regs[3] = 0;
        return 0;
    }
    regs[0] = a; regs[1] = b; regs[2] = c; regs[3] = d;
    return 1;
}

uint64_t saestore_xcr0(void) {
    uint32_t regs[4];
    if (!saestore_cpuid(1, 0, regs) || !(regs[2] & (1u << 27))) return 0;  // no OSXSAVE: XGETBV would fault
    uint32_t low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return ((uint64_t)high << 32) | low;
}
#else
int saestore_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]) {
    (void)leaf; (void)subleaf;
    regs[0] = regs[1] = regs[2] = regs[3] = 0;
    return 0;
}

uint64_t saestore_xcr0(void) { return 0; }
#endif
