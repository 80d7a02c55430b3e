#!/usr/bin/env python3
"""Write the committed sample sounds (Samples/audio/) from the TEST split of Tools/data/audio, and the
audio models' reference logits on them (Samples/models/audio-resnet*.samples.json); refresh the cards.

    python3 Tools/samples/make_sample_audio.py

Needs Tools/data/audio/dataset.npz (make_dataset.py) and Samples/models/audio-resnet{,-noisy}.onnx
(train_audio.py). Files (16-bit PCM mono WAV, 16 kHz):
  <class>.wav            1 s clean test clips (6 classes), chosen (seeded) among test clips without
                         added noise that both models classify correctly, peak-normalised;
  <class>-0dB.wav        the same clip + white noise with noise RMS = signal RMS (seeded);
  mix-yes-piano.wav      overlap mixture of a "yes" and a "piano" test clip at equal RMS;
  stream-40s.wav (+ .json) 40 s: 10 test events separated by silence over light white background noise;
  eval/<class>/<class>-<k>.wav + eval/labels.csv   5 test clips per class, seeded random (unfiltered).
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import onnxruntime
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (AUDIO_CLASSES, AUDIO_DATA, CLIP, MODELS, SAMPLES, SEED, SR, dump_json, pcm_to_float,  # noqa: E402
                    progress, read_wav, write_wav)
from nets import OnnxTorch, ort_logits  # noqa: E402
import cards  # noqa: E402

AUDIO = SAMPLES / "audio"
DEMO_CLASSES = ["yes", "stop", "piano", "violin", "drums", "chirp"]
MODEL_NAMES = ["audio-resnet", "audio-resnet-noisy"]
EVAL_PER_CLASS = 5
STREAM_SECONDS = 40
BACKGROUND_DBFS = -55.0
STREAM_EVENTS = ["yes", "piano", "chirp", "drums", "no", "flute", "clicks", "trumpet", "left", "noise_burst"]


def activity(x: np.ndarray, floor_db: float = -40.0) -> tuple[int, int]:
    """First and last sample whose |x| exceeds peak * 10^(floor/20)."""
    idx = np.where(np.abs(x) > np.max(np.abs(x)) * 10 ** (floor_db / 20))[0]
    return int(idx[0]), int(idx[-1]) + 1


def peak_normalise(x: np.ndarray, dbfs: float) -> np.ndarray:
    return x * 10 ** (dbfs / 20) / np.max(np.abs(x))


def quantise(x: np.ndarray) -> np.ndarray:
    return pcm_to_float(np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)).astype(np.float64)


def main() -> None:
    rng = np.random.default_rng([SEED, 40])
    d = np.load(AUDIO_DATA / "dataset.npz")
    test = np.where(d["split"] == 1)[0]
    x_all = d["x"]
    y_all, aug, snr = d["y"], d["aug"], d["snr"]
    paths = {n: MODELS / f"{n}.onnx" for n in MODEL_NAMES}
    xt = pcm_to_float(x_all[test])[:, None]
    pred = {n: ort_logits(p, xt).argmax(1) for n, p in paths.items()}
    both_ok = (pred[MODEL_NAMES[0]] == y_all[test]) & (pred[MODEL_NAMES[1]] == y_all[test])
    AUDIO.mkdir(parents=True, exist_ok=True)
    files = []            # (relative path, labels, kind)

    def clean_candidates(cls):
        ci = AUDIO_CLASSES.index(cls)
        return [int(test[i]) for i in range(len(test))
                if y_all[test[i]] == ci and aug[test[i]] == 0 and both_ok[i]]

    used = set()
    # 1. Clean demo clips and their 0 dB copies.
    for cls in DEMO_CLASSES:
        i = int(rng.choice(clean_candidates(cls)))
        used.add(i)
        x = peak_normalise(pcm_to_float(x_all[i]).astype(np.float64), -6.0)
        x = quantise(x)
        nrng = np.random.default_rng([SEED, 41, AUDIO_CLASSES.index(cls)])
        n = nrng.standard_normal(CLIP)
        n *= np.sqrt(np.mean(x ** 2)) / np.sqrt(np.mean(n ** 2))
        noisy = x + n
        scale = min(1.0, 0.99 / np.max(np.abs(noisy)))        # avoid clipping; same factor for both
        write_wav(AUDIO / f"{cls}.wav", x * scale)
        write_wav(AUDIO / f"{cls}-0dB.wav", noisy * scale)
        files.append((f"{cls}.wav", [cls], "clean", {"dataset_index": i}))
        files.append((f"{cls}-0dB.wav", [cls], "0 dB white noise", {"dataset_index": i, "gain": scale}))

    # 2. Overlap mixture of two classes at equal RMS.
    ia = int(rng.choice([c for c in clean_candidates("yes") if c not in used]))
    ib = int(rng.choice([c for c in clean_candidates("piano") if c not in used]))
    used |= {ia, ib}
    a, b = pcm_to_float(x_all[ia]).astype(np.float64), pcm_to_float(x_all[ib]).astype(np.float64)
    b *= np.sqrt(np.mean(a ** 2) / np.mean(b ** 2))
    mix = peak_normalise(a + b, -3.0)
    write_wav(AUDIO / "mix-yes-piano.wav", mix)
    (sa, ea), (sb, eb) = activity(a), activity(b)
    files.append(("mix-yes-piano.wav", ["yes", "piano"], "mixture (equal RMS)",
                  {"dataset_index": [ia, ib], "yes_active_s": [sa / SR, ea / SR], "piano_active_s": [sb / SR, eb / SR]}))

    # 3. Long recording: events separated by silence over light background noise.
    total = STREAM_SECONDS * SR
    # Background: white noise at -55 dBFS RMS. (Pink noise with its sub-100 Hz content flips the clean
    # model on clicks / noise bursts even at -60 dBFS; white noise at this level does not.)
    stream = rng.standard_normal(total) * 10 ** (BACKGROUND_DBFS / 20)
    events = []
    t = 1.0
    for cls in STREAM_EVENTS:
        i = int(rng.choice([c for c in clean_candidates(cls) if c not in used]))
        used.add(i)
        clip = peak_normalise(pcm_to_float(x_all[i]).astype(np.float64), float(rng.uniform(-12, -3)))
        start = int(round(t * SR))
        stream[start:start + CLIP] += clip
        on, off = activity(clip)
        events.append({"class": cls, "clip_start_sample": start, "onset_sample": start + on, "offset_sample": start + off,
                       "clip_start_s": start / SR, "clip_end_s": (start + CLIP) / SR,
                       "onset_s": (start + on) / SR, "offset_s": (start + off) / SR,
                       "peak_dbfs": round(20 * np.log10(np.max(np.abs(clip))), 2), "dataset_index": i})
        t += float(rng.uniform(3.2, 4.0))
        assert t + 1 < STREAM_SECONDS
    write_wav(AUDIO / "stream-40s.wav", stream)
    files.append(("stream-40s.wav", sorted(set(STREAM_EVENTS)), f"{STREAM_SECONDS} s stream, {len(events)} events", {}))

    # 4. Small labelled eval set: EVAL_PER_CLASS random test clips per class (not filtered).
    rows = []
    for ci, cls in enumerate(AUDIO_CLASSES):
        cand = [int(i) for i in test if y_all[i] == ci and int(i) not in used]
        for k, i in enumerate(sorted(rng.choice(cand, EVAL_PER_CLASS, replace=False).tolist())):
            rel = f"eval/{cls}/{cls}-{k}.wav"
            write_wav(AUDIO / rel, pcm_to_float(x_all[i]))
            rows.append((rel, cls, i, "none" if not np.isfinite(snr[i]) else f"{snr[i]:.1f}"))
    with open(AUDIO / "eval" / "labels.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["file", "label", "dataset_index", "light_noise_snr_db"])
        w.writerows(rows)

    # 5. Reference logits of both models on every committed 1 s file (read back from the WAVs).
    one_second = [(rel, labels) for rel, labels, *_ in files if not rel.startswith("stream")] + \
                 [(rel, [cls]) for rel, cls, *_ in rows]
    inputs = np.stack([read_wav(AUDIO / rel)[0] for rel, _ in one_second])[:, None]
    stream_x = read_wav(AUDIO / "stream-40s.wav")[0]
    win = np.stack([stream_x[e["clip_start_sample"]:][:CLIP] for e in events])[:, None]
    results = {}
    for name, path in paths.items():
        lo = ort_logits(path, inputs)
        tm = OnnxTorch(path, dtype=torch.float32)
        with torch.no_grad():
            lt = tm(torch.from_numpy(inputs)).numpy()
        entries, summary = [], {}
        for (rel, labels), logit in zip(one_second, lo):
            p = AUDIO_CLASSES[int(np.argmax(logit))]
            group = ("Samples/audio/eval (5 test clips per class, random)" if rel.startswith("eval/") else
                     "clean demo clips" if "-0dB" not in rel and not rel.startswith("mix") else
                     "0 dB demo clips" if "-0dB" in rel else "mixture (either class counts)")
            g = summary.setdefault(group, {"correct": 0, "total": 0})
            g["correct"] += int(p in labels)
            g["total"] += 1
            entries.append({"file": f"Samples/audio/{rel}", "labels": labels, "predicted": p,
                            "logits": [round(float(v), 6) for v in logit]})
        sl = ort_logits(path, win).argmax(1)
        summary["stream-40s events (window = the event's 1 s clip)"] = {
            "correct": int(sum(AUDIO_CLASSES[k] == e["class"] for k, e in zip(sl, events))), "total": len(events)}
        for e, k in zip(events, sl):
            e.setdefault("predicted", {})[name] = AUDIO_CLASSES[int(k)]
        results[name] = summary
        dump_json(MODELS / f"{name}.samples.json", {
            "model": path.name, "onnxruntime": onnxruntime.__version__,
            "max_abs_diff_torch": float(np.max(np.abs(lo - lt))),
            "input_convention": "WAV int16 / 32768 as float32, shape [1, 1, 16000]",
            "summary": summary, "inputs": entries})
        cards.write_audio_card(name)
    dump_json(AUDIO / "stream-40s.json", {"file": "stream-40s.wav", "sample_rate": SR, "seconds": STREAM_SECONDS,
                                          "background": f"white noise, {BACKGROUND_DBFS} dBFS RMS", "events": events})
    dump_json(AUDIO / "files.json", [{"file": rel, "labels": labels, "kind": kind, **extra}
                                    for rel, labels, kind, extra in files])
    write_readme(files, events, rows, results)
    size = sum(p.stat().st_size for p in AUDIO.rglob("*") if p.is_file())
    progress(f"make_sample_audio: {len(files)} demo files + {len(rows)} eval clips, {size / 1e6:.2f} MB; {results}")


def write_readme(files, events, rows, results):
    lines = ["# Sample sounds", "",
             "Made by `Tools/samples/make_sample_audio.py` from the **test split** of the generated dataset",
             "(`Tools/samples/make_dataset.py`; no clip here, nor any variant of its source, was used in training).",
             "All files: 16-bit PCM mono WAV, 16 kHz. Reference logits of both audio models on every 1 s file:",
             "`Samples/models/audio-resnet.samples.json` and `audio-resnet-noisy.samples.json`.", "",
             "| file | class(es) | what |", "|---|---|---|"]
    for rel, labels, kind, extra in files:
        lines.append(f"| `{rel}` | {', '.join(labels) if not rel.startswith('stream') else 'see below'} | {kind} |")
    lines += ["", "Demo clips were drawn (seeded) among test clips that both models classify correctly and were",
              "peak-normalised to -6 dBFS; the `-0dB` copies add white Gaussian noise whose RMS equals the clean",
              "clip's RMS (both files scaled by the same factor if the sum would clip). The mixture adds a `yes`",
              "and a `piano` test clip at equal RMS, then peak-normalises to -3 dBFS.", "",
              "## stream-40s.wav", "",
              f"Ten test clips (1 s each, peak -12..-3 dBFS) placed 3.2-4 s apart over white background noise",
              f"({BACKGROUND_DBFS:.0f} dBFS RMS). Times in seconds (exact sample indices in `stream-40s.json`);",
              "onset/offset = first/last sample above -40 dB of the event's peak. Predictions use the",
              "event's 1 s clip window. Note: the clean model is fragile to low-frequency background: pink",
              "noise (with its sub-100 Hz drift) at -60 dBFS already flips it on clicks and noise bursts.", "",
              "| # | class | clip start | onset | offset | predicted (audio-resnet / -noisy) |", "|---|---|---|---|---|---|"]
    for k, e in enumerate(events):
        p = e.get("predicted", {})
        lines.append(f"| {k} | {e['class']} | {e['clip_start_s']:.4f} | {e['onset_s']:.4f} | {e['offset_s']:.4f} | "
                     f"{p.get('audio-resnet', '')} / {p.get('audio-resnet-noisy', '')} |")
    lines += ["", "## eval/", "",
              f"{EVAL_PER_CLASS} test clips per class in `eval/<class>/`, drawn at random (seeded, not filtered by",
              "whether the models get them right) for `wam eval`; `eval/labels.csv` lists file, label, dataset",
              "index and the SNR of the dataset's light augmentation noise (or `none`).", "",
              "## How the models do on these files", ""]
    for name, summary in results.items():
        lines.append(f"- `{name}`: " + "; ".join(f"{g}: {v['correct']}/{v['total']}" for g, v in summary.items()))
    lines += ["", "Regenerate: `python3 Tools/samples/make_sample_audio.py` (see Tools/samples/README.md).", ""]
    (AUDIO / "README.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
