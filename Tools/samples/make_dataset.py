#!/usr/bin/env python3
"""Generate the bundled sound dataset (12 classes of 1 s, 16 kHz mono clips) into Tools/data/audio/.

Sources (all Debian packages, no downloads):
  * spoken words  ("yes", "no", "stop", "left"): espeak-ng, 8 English accents x ~100 voice
    variants, random speed (110-240 wpm) and pitch (15-85);
  * instruments   (piano, violin, flute, trumpet, drums): fluidsynth + FluidR3_GM.sf2 rendering
    MIDI phrases written by this script (random notes, chords, velocities, programs, drum kits);
  * synthesized   (chirp, clicks, noise_burst): sox `synth` with random parameters.

Each rendering is one *source*; it gives AUGMENT clips (random placement/crop in the 1 s window,
peak gain -24..-1 dBFS, light white noise 25-45 dB SNR on half of the non-first variants).
The train/test split is made by source group: for words the group is the espeak voice variant
(a test voice is never heard in training), for the others each rendering is its own group.
So no variant of a test source is ever in training.

Output (git-ignored): Tools/data/audio/dataset.npz with
  x      int16 [N, 16000]   samples (float = int16 / 32768)
  y      int64 [N]          class index into common.AUDIO_CLASSES
  split  uint8 [N]          0 = train, 1 = test
  source int64 [N]          source id (unique over the whole dataset)
  aug    int64 [N]          augmentation index within the source (0 = no added noise)
  snr    float32 [N]        SNR of the added light noise in dB (inf = none)
and Tools/data/audio/manifest.json (every source's parameters).

    python3 Tools/samples/make_dataset.py [--sources 110] [--augment 3]
"""
from __future__ import annotations

import argparse
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (AUDIO_CLASSES, AUDIO_DATA, CLIP, INSTRUMENTS, SEED, SOUNDFONT, SPEECH, SR,  # noqa: E402
                    SYNTH, dump_json, progress)

ESPEAK_LANGS = ["en", "en-us", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd",
                "en-029", "en-us-nyc"]
ESPEAK_VARIANTS_DIR = Path("/usr/lib/x86_64-linux-gnu/espeak-ng-data/voices/!v")
TEST_FRACTION = 0.2

# General MIDI programs (0-based) per instrument class, and pitch ranges.
PROGRAMS = {
    "piano": [0, 1, 2, 3],            # acoustic grand, bright, electric grand, honky-tonk
    "violin": [40, 41, 110],          # violin, viola, fiddle
    "flute": [73, 72, 74, 75],        # flute, piccolo, recorder, pan flute
    "trumpet": [56, 59],              # trumpet, muted trumpet
}
PITCH = {"piano": (36, 96), "violin": (55, 93), "flute": (60, 96), "trumpet": (54, 82)}
DRUM_KITS = [0, 8, 16, 24, 25, 32, 40]           # standard, room, power, electronic, 808, jazz, brush
DRUM_NOTES = [35, 36, 38, 40, 42, 44, 46, 49, 51, 37, 39, 41, 43, 45, 47, 48, 50, 54, 56, 57]
PHRASE_PERIOD = 3.0     # seconds between phrases in the per-class MIDI file


# --------------------------------------------------------------------------- MIDI writing
def _varlen(n: int) -> bytes:
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    return bytes(reversed(out))


def write_midi(path: Path, events: list[tuple[float, bytes]], tpq: int = 480) -> None:
    """Format-0 MIDI file; events are (time in seconds, raw message). Tempo 120 bpm -> 960 ticks/s."""
    ticks_per_s = tpq * 2
    events = sorted(events, key=lambda e: (e[0], e[1][0] & 0xF0 != 0x80))   # note-offs first at ties
    track = bytearray(b"\x00\xff\x51\x03\x07\xa1\x20")                       # tempo 500000 us/quarter
    last = 0
    for t, msg in events:
        tick = int(round(t * ticks_per_s))
        track += _varlen(tick - last) + msg
        last = tick
    track += b"\x00\xff\x2f\x00"
    path.write_bytes(b"MThd" + struct.pack(">IHHH", 6, 0, 1, tpq) + b"MTrk" + struct.pack(">I", len(track)) + track)


def phrase_events(cls: str, rng: np.random.Generator, t0: float) -> tuple[list, dict]:
    """Random phrase of one instrument class starting at t0 seconds; returns events and parameters."""
    ev: list[tuple[float, bytes]] = []
    if cls == "drums":
        ch = 9
        kit = int(rng.choice(DRUM_KITS))
        ev.append((t0, bytes([0xC0 | ch, kit])))
        nhits = int(rng.integers(2, 9))
        times = np.sort(rng.uniform(0.0, 0.9, nhits))
        notes = rng.choice(DRUM_NOTES, nhits)
        params = {"kit": kit, "hits": []}
        for t, n in zip(times, notes):
            v = int(rng.integers(50, 128))
            ev.append((t0 + 0.02 + t, bytes([0x90 | ch, int(n), v])))
            ev.append((t0 + 0.02 + t + 0.1, bytes([0x80 | ch, int(n), 0])))
            params["hits"].append([round(float(t), 4), int(n), v])
        return ev, params
    ch = 0
    prog = int(rng.choice(PROGRAMS[cls]))
    ev.append((t0, bytes([0xC0 | ch, prog])))
    lo, hi = PITCH[cls]
    style = "chord" if (cls == "piano" and rng.random() < 0.4) else "melody"
    params = {"program": prog, "style": style, "notes": []}
    t = 0.02 + float(rng.uniform(0, 0.1))
    if style == "chord":
        root = int(rng.integers(lo, hi - 12))
        chord = [root] + [root + int(i) for i in rng.choice([3, 4, 5, 7, 9, 12], int(rng.integers(1, 4)), replace=False)]
        dur = float(rng.uniform(0.3, 0.9))
        v = int(rng.integers(50, 120))
        for n in chord:
            ev.append((t0 + t, bytes([0x90 | ch, n, v])))
            ev.append((t0 + t + dur, bytes([0x80 | ch, n, 0])))
            params["notes"].append([round(t, 4), n, round(dur, 4), v])
    else:
        nnotes = int(rng.integers(1, 5))
        n = int(rng.integers(lo, hi + 1))
        for _ in range(nnotes):
            dur = float(rng.uniform(0.15, 0.7 if nnotes <= 2 else 0.35))
            v = int(rng.integers(50, 120))
            ev.append((t0 + t, bytes([0x90 | ch, n, v])))
            ev.append((t0 + t + dur, bytes([0x80 | ch, n, 0])))
            params["notes"].append([round(t, 4), n, round(dur, 4), v])
            t += dur + float(rng.uniform(0.0, 0.08))
            n = int(np.clip(n + rng.integers(-7, 8), lo, hi))
            if t > 1.0:
                break
    return ev, params


def render_instrument_class(cls: str, rng: np.random.Generator, n: int, tmp: Path) -> tuple[list[np.ndarray], list[dict]]:
    events, params = [], []
    for i in range(n):
        ev, p = phrase_events(cls, rng, i * PHRASE_PERIOD)
        events += ev
        params.append(p)
    mid = tmp / f"{cls}.mid"
    wav = tmp / f"{cls}.wav"
    write_midi(mid, events)
    subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.6", "-r", "32000", "-F", str(wav), "-T", "wav",
                    "-O", "s16", str(SOUNDFONT), str(mid)], check=True, stdout=subprocess.DEVNULL)
    audio = sox_to_float([str(wav)], [])
    seg = int(PHRASE_PERIOD * SR)
    renders = [audio[i * seg: i * seg + int(1.6 * SR)] for i in range(n)]
    return renders, params


# --------------------------------------------------------------------------- sox / espeak helpers
def sox_to_float(inputs: list[str], effects: list[str], stdin: bytes | None = None) -> np.ndarray:
    """Runs sox with the given inputs/effects and returns 16 kHz mono float64 samples."""
    cmd = ["sox", "-V1", "-R", *inputs, "-t", "raw", "-e", "floating-point", "-b", "32", "-r", str(SR), "-c", "1", "-",
           *effects]
    out = subprocess.run(cmd, input=stdin, capture_output=True, check=True).stdout
    return np.frombuffer(out, dtype="<f4").astype(np.float64)


def render_word(word: str, lang: str, variant: str, speed: int, pitch: int) -> np.ndarray:
    wav = subprocess.run(["espeak-ng", "-v", f"{lang}+{variant}", "-s", str(speed), "-p", str(pitch), "--stdout", word],
                         capture_output=True, check=True).stdout
    return sox_to_float(["-t", "wav", "-"], [], stdin=wav)


def render_synth(cls: str, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    if cls == "chirp":
        dur = float(rng.uniform(0.15, 0.9))
        wave_ = str(rng.choice(["sine", "sine", "square", "triangle", "sawtooth"]))
        f1, f2 = np.exp(rng.uniform(np.log(150), np.log(2000))), np.exp(rng.uniform(np.log(600), np.log(7000)))
        if rng.random() < 0.35:
            f1, f2 = f2, f1
        sweep = str(rng.choice(["-", ":", "+"]))
        fade = float(rng.uniform(0.005, 0.05))
        spec = f"{f1:.1f}{sweep}{f2:.1f}"
        eff = ["synth", f"{dur:.3f}", wave_, spec, "vol", "0.5", "fade", "q", f"{fade:.3f}", f"{dur:.3f}", f"{fade:.3f}"]
        p = {"dur": dur, "wave": wave_, "sweep": spec}
    elif cls == "clicks":
        dur = float(rng.uniform(0.3, 1.0))
        rate = float(rng.uniform(3, 25))
        duty = float(rng.uniform(0.2, 3.0))
        hp = float(np.exp(rng.uniform(np.log(200), np.log(3000))))
        eff = ["synth", f"{dur:.3f}", "square", f"{rate:.2f}", "0", "0", f"{duty:.2f}", "vol", "0.3",
               "highpass", f"{hp:.0f}"]
        if rng.random() < 0.4:
            eff += ["lowpass", f"{float(rng.uniform(hp * 1.5, 7500)):.0f}"]
        p = {"dur": dur, "rate": rate, "duty": duty, "highpass": hp}
    else:  # noise_burst
        dur = float(rng.uniform(0.05, 0.6))
        color = str(rng.choice(["whitenoise", "pinknoise", "brownnoise"]))
        # sox's noise generator is seeded only by -R (one fixed seed): start each burst at a seeded
        # random offset into that fixed noise stream so bursts differ and reruns are identical.
        skip = float(rng.uniform(0, 4))
        eff = ["synth", f"{skip + dur:.4f}", color, "trim", f"{skip:.4f}", "vol", "0.5"]
        p = {"dur": dur, "color": color, "offset": skip}
        if rng.random() < 0.6:
            fc = float(np.exp(rng.uniform(np.log(300), np.log(5000))))
            width = float(rng.uniform(0.5, 2.0))
            eff += ["bandpass", f"{fc:.0f}", f"{width:.2f}o"]
            p.update(bandpass=fc, octaves=width)
        fade_out = float(rng.uniform(0.005, dur * 0.8))
        eff += ["fade", "q", "0.003", f"{dur:.3f}", f"{fade_out:.3f}"]
    return sox_to_float(["-n"], eff), p


# --------------------------------------------------------------------------- augmentation
def trim(r: np.ndarray, floor_db: float = -50.0) -> np.ndarray:
    peak = np.max(np.abs(r)) if r.size else 0.0
    if peak <= 0:
        return r
    idx = np.where(np.abs(r) > peak * 10 ** (floor_db / 20))[0]
    return r[idx[0]: idx[-1] + 1]


def augment(r: np.ndarray, a: int, rng: np.random.Generator) -> tuple[np.ndarray, float, float]:
    r = trim(r)
    clip = np.zeros(CLIP)
    if len(r) <= CLIP:
        off = int(rng.integers(0, CLIP - len(r) + 1))
        clip[off: off + len(r)] = r
    else:
        start = int(rng.integers(0, min(len(r) - CLIP, SR // 4) + 1))
        clip[:] = r[start: start + CLIP]
    gain_db = float(rng.uniform(-24, -1))
    clip *= 10 ** (gain_db / 20) / max(np.max(np.abs(clip)), 1e-9)
    snr = float("inf")
    if a > 0 and rng.random() < 0.5:
        snr = float(rng.uniform(25, 45))
        rms = np.sqrt(np.mean(clip ** 2))
        clip = clip + rng.standard_normal(CLIP) * rms / 10 ** (snr / 20)
    pcm = np.clip(np.round(clip * 32768), -32768, 32767).astype(np.int16)
    return pcm, gain_db, snr


# --------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sources", type=int, default=110, help="renderings per class")
    ap.add_argument("--augment", type=int, default=3, help="clips per rendering")
    args = ap.parse_args()
    t_start = time.time()
    AUDIO_DATA.mkdir(parents=True, exist_ok=True)
    variants = sorted(os.listdir(ESPEAK_VARIANTS_DIR))
    vrng = np.random.default_rng([SEED, 999])
    test_variants = set(vrng.choice(variants, int(round(TEST_FRACTION * len(variants))), replace=False).tolist())

    xs, ys, splits, sources, augs, snrs = [], [], [], [], [], []
    manifest = {"classes": AUDIO_CLASSES, "seed": SEED, "sources_per_class": args.sources,
                "augment": args.augment, "test_variants": sorted(test_variants), "sources": []}
    source_id = 0
    with tempfile.TemporaryDirectory() as tmpd:
        tmp = Path(tmpd)
        for ci, cls in enumerate(AUDIO_CLASSES):
            rng = np.random.default_rng([SEED, ci])
            renders, params, groups, test_flags = [], [], [], []
            if cls in SPEECH:
                for _ in range(args.sources):
                    lang = str(rng.choice(ESPEAK_LANGS))
                    variant = str(rng.choice(variants))
                    speed, pitch = int(rng.integers(110, 241)), int(rng.integers(15, 86))
                    renders.append(render_word(cls, lang, variant, speed, pitch))
                    params.append({"lang": lang, "variant": variant, "speed": speed, "pitch": pitch})
                    groups.append(f"voice:{variant}")
                    test_flags.append(variant in test_variants)
            elif cls in INSTRUMENTS:
                renders, params = render_instrument_class(cls, rng, args.sources, tmp)
                test_idx = set(rng.choice(args.sources, int(round(TEST_FRACTION * args.sources)), replace=False).tolist())
                groups = [f"{cls}:{i}" for i in range(args.sources)]
                test_flags = [i in test_idx for i in range(args.sources)]
            else:
                for _ in range(args.sources):
                    r, p = render_synth(cls, rng)
                    renders.append(r)
                    params.append(p)
                test_idx = set(rng.choice(args.sources, int(round(TEST_FRACTION * args.sources)), replace=False).tolist())
                groups = [f"{cls}:{i}" for i in range(args.sources)]
                test_flags = [i in test_idx for i in range(args.sources)]
            for r, p, g, is_test in zip(renders, params, groups, test_flags):
                if np.max(np.abs(r)) < 1e-4:
                    progress(f"  skipped silent source {cls} {p}")
                    continue
                for a in range(args.augment):
                    pcm, gain_db, snr = augment(r, a, rng)
                    xs.append(pcm)
                    ys.append(ci)
                    splits.append(1 if is_test else 0)
                    sources.append(source_id)
                    augs.append(a)
                    snrs.append(snr)
                manifest["sources"].append({"id": source_id, "class": cls, "group": g,
                                            "split": "test" if is_test else "train", "params": p})
                source_id += 1
            n_test = sum(test_flags)
            progress(f"make_dataset: {cls:12s} {len(renders)} sources ({n_test} test) "
                     f"[{time.time() - t_start:.0f} s]")

    split = np.array(splits, np.uint8)
    np.savez(AUDIO_DATA / "dataset.npz", x=np.stack(xs), y=np.array(ys, np.int64), split=split,
             source=np.array(sources, np.int64), aug=np.array(augs, np.int64), snr=np.array(snrs, np.float32))
    manifest["counts"] = {c: {"train": int(np.sum((np.array(ys) == i) & (split == 0))),
                              "test": int(np.sum((np.array(ys) == i) & (split == 1)))}
                          for i, c in enumerate(AUDIO_CLASSES)}
    manifest["seconds"] = round(time.time() - t_start, 1)
    dump_json(AUDIO_DATA / "manifest.json", manifest)
    progress(f"make_dataset: wrote {len(xs)} clips ({int(np.sum(split == 0))} train, {int(np.sum(split == 1))} test) "
             f"to {AUDIO_DATA / 'dataset.npz'} in {manifest['seconds']} s")


if __name__ == "__main__":
    main()
