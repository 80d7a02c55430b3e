#!/usr/bin/env python3
"""PyWavelets side of `wam-bench wavelets`: the same cases (db4, float32, 2^20 samples and a
512x512 image, symmetric and periodization, default maximum level), median of N repeats.

    python3 Benchmarks/Reference/pywt_transforms.py [--repeats 15] [--json]
"""
import argparse
import json
import time

import numpy as np
import pywt

CASES = [
    ("1d-2^20-symmetric", (1 << 20,), "symmetric"),
    ("1d-2^20-periodization", (1 << 20,), "periodization"),
    ("2d-512x512-symmetric", (512, 512), "symmetric"),
    ("2d-512x512-periodization", (512, 512), "periodization"),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    results = []
    for name, shape, mode in CASES:
        x = rng.uniform(-1, 1, shape).astype(np.float32)
        decompose, reconstruct = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            coeffs = pywt.wavedecn(x, "db4", mode=mode)
            middle = time.perf_counter()
            pywt.waverecn(coeffs, "db4", mode=mode)
            end = time.perf_counter()
            decompose.append((middle - start) * 1e3)
            reconstruct.append((end - middle) * 1e3)
        results.append({"case": name, "levels": len(coeffs) - 1,
                        "decompose_ms": float(np.median(decompose)),
                        "reconstruct_ms": float(np.median(reconstruct))})
    if args.json:
        print(json.dumps({"wavelet": "db4", "dtype": "float32", "pywt": pywt.__version__, "results": results}, indent=2))
    else:
        print(f"{'case':28s}  levels  decompose ms  reconstruct ms")
        for r in results:
            print(f"{r['case']:28s}  {r['levels']:6d}  {r['decompose_ms']:12.3f}  {r['reconstruct_ms']:14.3f}")


if __name__ == "__main__":
    main()
