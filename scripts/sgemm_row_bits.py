#!/usr/bin/env python3
"""Does a row of C = A·B keep its bits when it moves inside A? (docs/PERFORMANCE.md, "Packed windows")

Calls the system OpenBLAS that saestore links (Debian's libopenblas.so.0) through ctypes, at the
forward's shape (K 768, N 2304: GPT-2's fused qkv), with one fixed row placed at every position
0..63 of a 64- and a 128-row A (the other rows random), and prints which positions give the
same bits as position 0 of the 64-row product. OpenBLAS reads OPENBLAS_CORETYPE when it loads,
so run it once per kernel set:

    for c in Prescott Haswell SkylakeX; do OPENBLAS_CORETYPE=$c OPENBLAS_NUM_THREADS=1 python3 scripts/sgemm_row_bits.py; done
"""
import ctypes
import numpy as np

lib = ctypes.CDLL("libopenblas.so.0")
lib.openblas_get_corename.restype = ctypes.c_char_p
FLOATS = ctypes.POINTER(ctypes.c_float)
ROW_MAJOR, NO_TRANS = 101, 111


def sgemm(a, b):
    m, k = a.shape
    n = b.shape[1]
    c = np.zeros((m, n), np.float32)
    lib.cblas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, m, n, k, ctypes.c_float(1.0), a.ctypes.data_as(FLOATS), k,
                    b.ctypes.data_as(FLOATS), n, ctypes.c_float(0.0), c.ctypes.data_as(FLOATS), n)
    return c


def main():
    rng = np.random.default_rng(0)
    k, n = 768, 2304
    b = rng.standard_normal((k, n)).astype(np.float32)
    row = rng.standard_normal(k).astype(np.float32)
    results = {}
    for m in (64, 128):
        for p in range(64):
            a = rng.standard_normal((m, k)).astype(np.float32)
            a[p] = row
            results[m, p] = sgemm(a, b)[p]
    reference = results[64, 0]
    print(f"kernels {lib.openblas_get_corename().decode()}, {lib.openblas_get_num_threads()} thread(s)")
    for m in (64, 128):
        same = [p for p in range(64) if (results[m, p] == reference).all()]
        print(f"  M={m}: {len(same)}/64 positions give row 0's bits: {same}")


if __name__ == "__main__":
    main()
