#!/usr/bin/env python3
"""Small arrays for the README demo: Samples/arrays/chirp.npy, a 1 s, 16 kHz float32 linear chirp
(100 Hz to 4 kHz) with a click at 0.5 s. Rerun: python3 Tools/make_sample_arrays.py"""
import os

import numpy as np

rate = 16000
t = np.arange(rate) / rate
chirp = 0.5 * np.sin(2 * np.pi * (100 * t + (4000 - 100) / 2 * t**2))
chirp[rate // 2:rate // 2 + 16] += 0.8
out = os.path.join(os.path.dirname(__file__), "..", "Samples", "arrays")
os.makedirs(out, exist_ok=True)
np.save(os.path.join(out, "chirp.npy"), chirp.astype(np.float32))
