"""A small labelled dataset made on the spot: three classes of generated sounds (tones, chirps,
clicks) in files of a few seconds, at several sample rates and channel counts, each with its own
level and a little background noise."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

CLASSES = ("tone", "chirp", "clicks")


def sound(kind: str, seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    if kind == "tone":
        x = np.sin(2 * np.pi * rng.uniform(300, 900) * t)
    elif kind == "chirp":
        f0, f1 = rng.uniform(200, 600), rng.uniform(2000, 4000)
        period = rng.uniform(0.3, 0.6)
        phase = (t % period) / period
        x = np.sin(2 * np.pi * (f0 * (t % period) + (f1 - f0) * period * phase ** 2 / 2))
    else:
        x = np.zeros_like(t)
        step = int(rate * rng.uniform(0.05, 0.12))
        x[::step] = 1.0
        x = np.convolve(x, np.exp(-np.arange(int(0.004 * rate)) / (0.0008 * rate)), mode="same")
    x = x * 10 ** (rng.uniform(-20, -6) / 20) / max(np.max(np.abs(x)), 1e-9)
    return x + 10 ** (-50 / 20) * rng.standard_normal(len(x))


def make_dataset(root: Path, files_per_class: int = 4, seconds: float = 3.0, seed: int = 0,
                 classes=CLASSES) -> Path:
    rng = np.random.default_rng(seed)
    rates = (16000, 22050, 44100, 8000)
    for kind in classes:
        for i in range(files_per_class):
            rate = rates[i % len(rates)]
            x = sound(kind, seconds, rate, rng)
            if i % 2:   # stereo, the channels slightly different
                x = np.stack([x, 0.9 * x], axis=1)
            path = root / kind / f"{kind}-{i}.{'flac' if i % 3 == 2 else 'wav'}"
            path.parent.mkdir(parents=True, exist_ok=True)
            soundfile.write(str(path), x, rate)
    return root
