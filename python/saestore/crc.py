"""CRC-32C (Castagnoli) of chunk bytes, docs/FORMAT.md "CRC-32C".

The fast path is the `crc32c` package (SSE4.2/ARMv8 instructions, GIL released); `reference`
is the bit-at-a-time definition the tests hold it to.
"""
import crc32c as _crc32c

POLYNOMIAL = 0x82F63B78  # reflected 0x1EDC6F41


def checksum(data) -> int:
    """CRC-32C of a bytes-like object (init and final XOR 0xFFFFFFFF)."""
    return _crc32c.crc32c(data)


def reference(data) -> int:
    """The definition, one bit at a time (slow: tests only)."""
    crc = 0xFFFFFFFF
    for byte in bytes(data):
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ POLYNOMIAL if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF
