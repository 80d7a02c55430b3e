#!/usr/bin/env python3
"""Reference coefficients from PyWavelets for Tests/WaveletsTests.

Writes three archives into Tests/WaveletsTests/Fixtures/ (float64, seeded, compressed, ~3 MB in all):

  wavedec1d.npz   every discrete wavelet x every mode x lengths 1, 2, 3, 7, 8, 33, 64, 101
                  (levels 1 and dwt_max_level): full coefficient vectors; length 1000 (levels 1,
                  a middle one and dwt_max_level): band sketches (see below) and band lengths.
  waverec1d.npz   every wavelet, modes symmetric and periodization (the only two synthesis
                  behaviours pywt has), lengths 33 and 101: pywt.waverec of deterministic
                  coefficients, cropped to the signal length.
  wavedecn.npz    representative wavelets x every mode, 2D and 3D arrays (square, non-square,
                  odd sizes, axis subsets in and out of order), levels 1 and max.

Conventions the Swift tests rely on:
  * The 1D input of length n is signal[:n]; 2D/3D inputs are stored per shape.
  * A coefficient vector is pywt's wavedecn order flattened: cA_J, then for each level from J
    down to 1 its detail bands in dwtn key order ('d'; 'ad', 'da', 'dd'; 'aad', ...), each band
    row-major. For 1D this is numpy.concatenate(pywt.wavedec(...)).
  * 1D: `<wavelet>` holds the full vectors of all short cases concatenated, modes in pywt's
    order, then lengths, then levels; `<wavelet>_bands` the length of every band of every case
    (short and long) in the same order; `<wavelet>_sketch` the sketches of the long cases;
    `<wavelet>_cases` rows (n, level) per mode (modes reflect/antireflect skip n = 1, which pywt
    refuses, so their case list is the rest).
  * nD: `case<i>_<wavelet>` holds the vectors for every mode then level (1, then max when
    larger), `case<i>_<wavelet>_shapes` every band's shape in the same order, `case<i>_<wavelet>_levels`
    the levels, `case<i>_input` and `case<i>_axes` the input.
  * Sketches (n = 1000): for band b with coefficients c, sketch_k = sum_i c[i] * cos(0.7 k i + 0.3 k)
    for k = 1, 2, 3: three numbers per band, which any wrong coefficient moves.
  * Deterministic synthesis inputs: coefficient i of the flat vector is sin(0.37 i + 1.1).

Rerun:  python3 Tools/make_wavelet_fixtures.py
"""
import itertools
import os
import warnings

import numpy as np
import pywt

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "WaveletsTests", "Fixtures")
SHORT_LENGTHS = [1, 2, 3, 7, 8, 33, 64, 101]
LONG_LENGTHS = [1000]
MODES = pywt.Modes.modes
WAVELETS = pywt.wavelist(kind="discrete")
ND_WAVELETS = ["haar", "db2", "sym3", "coif1", "bior1.3", "rbio2.2", "db4"]
ND_CASES = [  # (shape, axes or None for all)
    ((8, 8), None),
    ((13, 7), None),
    ((16, 21), None),
    ((9, 12), (-1,)),
    ((5, 6, 7), None),
    ((6, 9, 10), (0, 2)),
    ((7, 4, 10), (2, 0)),
]

warnings.simplefilter("ignore")  # pywt warns when a level leaves only boundary coefficients


def flat_wavedecn(x, wavelet, mode, level, axes=None):
    coeffs = pywt.wavedecn(x, wavelet, mode=mode, level=level, axes=axes)
    bands = [coeffs[0]]
    for details in coeffs[1:]:
        bands += [details[key] for key in sorted(details)]
    return bands


def levels_for(n, filter_length, extra_middle):
    top = max(pywt.dwt_max_level(n, filter_length), 1)
    levels = {1, top}
    if extra_middle and top > 2:
        levels.add((top + 1) // 2)
    return sorted(levels)


def sketch(band):
    i = np.arange(band.size)
    flat = band.ravel()
    return [float(np.dot(flat, np.cos(0.7 * k * i + 0.3 * k))) for k in (1, 2, 3)]


def wavedec1d(signal):
    arrays = {"signal": signal}
    for name in WAVELETS:
        f = pywt.Wavelet(name).dec_len
        vectors, bands, sketches, cases = [], [], [], []
        for mode in MODES:
            for n in SHORT_LENGTHS + LONG_LENGTHS:
                if n == 1 and mode in ("reflect", "antireflect"):
                    continue
                for level in levels_for(n, f, extra_middle=n in LONG_LENGTHS):
                    coeffs = pywt.wavedec(signal[:n], name, mode=mode, level=level)
                    if mode == MODES[0]:
                        cases.append((n, level))
                    bands += [len(c) for c in coeffs]
                    if n in LONG_LENGTHS:
                        sketches += [s for c in coeffs for s in sketch(c)]
                    else:
                        vectors += list(np.concatenate(coeffs))
        arrays[name] = np.array(vectors)
        arrays[f"{name}_bands"] = np.array(bands, dtype=np.int64)
        arrays[f"{name}_sketch"] = np.array(sketches)
        arrays[f"{name}_cases"] = np.array(cases, dtype=np.int64)
    return arrays


def waverec1d():
    arrays = {}
    for name in WAVELETS:
        f = pywt.Wavelet(name).dec_len
        for mode in ("symmetric", "periodization"):
            outputs = []
            for n in (33, 101):
                level = max(pywt.dwt_max_level(n, f), 1)
                shapes = [len(c) for c in pywt.wavedec(np.zeros(n), name, mode=mode, level=level)]
                flat = np.sin(0.37 * np.arange(sum(shapes)) + 1.1)
                coeffs = np.split(flat, np.cumsum(shapes)[:-1])
                outputs += list(pywt.waverec(coeffs, name, mode=mode)[:n])
            arrays[f"{name}_{mode}"] = np.array(outputs)
    return arrays


def wavedecn(rng):
    arrays = {}
    for index, (shape, axes) in enumerate(ND_CASES):
        x = rng.standard_normal(shape)
        arrays[f"case{index}_input"] = x
        arrays[f"case{index}_axes"] = np.array(axes if axes else range(len(shape)), dtype=np.int64)
        extents = [shape[a] for a in (axes if axes else range(len(shape)))]
        for name in ND_WAVELETS:
            f = pywt.Wavelet(name).dec_len
            levels = sorted({1, max(min(pywt.dwt_max_level(e, f) for e in extents), 1)})
            arrays[f"case{index}_{name}_levels"] = np.array(levels, dtype=np.int64)
            vectors, shapes = [], []
            for mode in MODES:
                for level in levels:
                    bands = flat_wavedecn(x, name, mode, level, axes)
                    vectors += [b.ravel() for b in bands]
                    shapes += [b.shape for b in bands]
            arrays[f"case{index}_{name}"] = np.concatenate(vectors)
            arrays[f"case{index}_{name}_shapes"] = np.array(shapes, dtype=np.int64)
    return arrays


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261129)
    signal = rng.standard_normal(max(LONG_LENGTHS))
    np.savez_compressed(os.path.join(OUT, "wavedec1d.npz"), **wavedec1d(signal))
    np.savez_compressed(os.path.join(OUT, "waverec1d.npz"), **waverec1d())
    np.savez_compressed(os.path.join(OUT, "wavedecn.npz"), **wavedecn(rng))
    for name in ("wavedec1d", "waverec1d", "wavedecn"):
        size = os.path.getsize(os.path.join(OUT, name + ".npz"))
        print(f"{name}.npz: {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
