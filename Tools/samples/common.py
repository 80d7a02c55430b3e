"""Shared paths, class names and small helpers for the Tools/samples scripts.

Nothing here touches the network. All randomness in the scripts goes through
numpy.random.default_rng / torch.Generator seeded from the constants below.
"""
from __future__ import annotations

import json
import os
import struct
import wave
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]          # repository root
TOOLS = ROOT / "Tools"
DATA = Path(os.environ.get("WAM_SAMPLES_DATA", TOOLS / "data"))   # git-ignored
AUDIO_DATA = DATA / "audio"
SAMPLES = ROOT / "Samples"
MODELS = SAMPLES / "models"
FIXTURES = ROOT / "Tests" / "AttributionTests" / "Fixtures"

SR = 16000
CLIP = 16000            # 1 s
SEED = 20250704

# Output order of the audio models (labels.json is written from this list).
SPEECH = ["yes", "no", "stop", "left"]
INSTRUMENTS = ["piano", "violin", "flute", "trumpet", "drums"]
SYNTH = ["chirp", "clicks", "noise_burst"]
AUDIO_CLASSES = SPEECH + INSTRUMENTS + SYNTH

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")


def write_wav(path: Path, x: np.ndarray, sr: int = SR) -> np.ndarray:
    """Writes float samples in [-1, 1] as 16-bit PCM mono; returns the int16 data written."""
    pcm = np.clip(np.round(np.asarray(x, dtype=np.float64) * 32768.0), -32768, 32767).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())
    return pcm


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Reads a 16-bit PCM mono WAV as float32 = int16 / 32768 (the convention wam uses)."""
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1, path
        sr = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return (pcm.astype(np.float32) / np.float32(32768.0)), sr


def pcm_to_float(pcm: np.ndarray) -> np.ndarray:
    return pcm.astype(np.float32) / np.float32(32768.0)


def write_png_gray(path: Path, img: np.ndarray) -> None:
    """Writes an 8-bit grayscale PNG (img: 2-D uint8) with zlib only (no Pillow needed)."""
    img = np.ascontiguousarray(img, dtype=np.uint8)
    h, w = img.shape
    raw = b"".join(b"\x00" + img[r].tobytes() for r in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)


def add_white_noise(x: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """x + white Gaussian noise whose RMS is rms(x) / 10^(snr/20) (0 dB: noise RMS = signal RMS)."""
    x = np.asarray(x, dtype=np.float64)
    rms = np.sqrt(np.mean(x ** 2))
    n = rng.standard_normal(x.shape)
    n *= rms / (10 ** (snr_db / 20)) / max(np.sqrt(np.mean(n ** 2)), 1e-12)
    return x + n


def dump_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2) + "\n")


def progress(msg: str) -> None:
    """Prints and appends to Tools/data/progress.log so partial work is visible."""
    print(msg, flush=True)
    DATA.mkdir(parents=True, exist_ok=True)
    with open(DATA / "progress.log", "a") as f:
        f.write(msg + "\n")
