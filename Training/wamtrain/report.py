"""Accuracy tables and the model card (Markdown) written next to the model."""
from __future__ import annotations

import math

import numpy as np

CONDITIONS = ["clean", "10dB", "0dB"]


def accuracy(logits: np.ndarray, y: np.ndarray, classes: list[str]) -> dict:
    pred = logits.argmax(1)
    present = [c for c in range(len(classes)) if np.any(y == c)]
    return {
        "overall": float(np.mean(pred == y)),
        "balanced": float(np.mean([np.mean(pred[y == c] == c) for c in present])),
        "per_class": {classes[c]: float(np.mean(pred[y == c] == c)) for c in present},
        "confusion": [[int(np.sum((y == i) & (pred == j))) for j in range(len(classes))] for i in range(len(classes))],
    }


def wilson(p: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion p measured on n trials."""
    if n == 0:
        return (0.0, 1.0)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %"


def card(m: dict) -> str:
    """The model card of the metrics dictionary `m` (what __main__ writes as NAME.metrics.json)."""
    classes = m["classes"]
    name = m["name"]
    test = m["accuracy"]["clean"]
    low, high = wilson(test["overall"], m["windows"]["test"])
    lines = [
        f"# {name}",
        "",
        f"A raw-waveform 1D ResNet (`{m['preset']}` preset, {m['parameters']:,} parameters) that sorts "
        f"{m['window_seconds']:g} s windows of {m['rate']} Hz mono audio into {len(classes)} classes: "
        + ", ".join(f"`{c}`" for c in classes) + f". Trained by wamtrain on `{m['data']}`.",
        "",
        f"- file: `{m['onnx']}` (sha256 `{m['onnx_sha256']}`), labels `{name}.labels.json`; ONNX opset 17, "
        f"input `waveform` [N, 1, {m['window']}], output `logits` [N, {len(classes)}]",
        "- held-out windows: `" + m["test_folder"] + "/` (one folder per class), for `wam eval`",
        "",
        "## How good is it",
        "",
        f"On the test split: {m['windows']['test']} windows from recordings (or segments of long recordings) "
        "that neither training nor early stopping saw.",
        "",
        f"- accuracy **{_pct(test['overall'])}** (95 % interval {_pct(low)} to {_pct(high)}), balanced accuracy "
        f"{_pct(test['balanced'])}",
        f"- what needs no model: guessing the most common class scores {_pct(m['majority_accuracy'])}, "
        f"chance is {_pct(1 / len(classes))}",
        "",
        "| class | test windows | clean | 10 dB noise | 0 dB noise |",
        "|---|---:|---:|---:|---:|",
    ]
    for c in classes:
        cells = [_pct(m["accuracy"][cond]["per_class"][c]) if c in m["accuracy"][cond]["per_class"] else "-"
                 for cond in CONDITIONS]
        lines.append(f"| {c} | {m['test_windows_per_class'].get(c, 0)} | " + " | ".join(cells) + " |")
    lines.append("| **all** | " + str(m["windows"]["test"]) + " | "
                 + " | ".join(f"**{_pct(m['accuracy'][cond]['overall'])}**" for cond in CONDITIONS) + " |")
    lines += [
        "",
        "10 dB and 0 dB: the same windows with white noise added at that signal-to-noise ratio (noise RMS "
        "a third of, and equal to, the window's RMS). A model that holds up there copes with a noisier room "
        "than it was recorded in; one that does not needs recordings in the conditions it will hear.",
        "",
        "Confusion matrix (clean test windows; rows: true class, columns: predicted):",
        "",
        "| true \\ predicted | " + " | ".join(classes) + " |",
        "|---|" + "---:|" * len(classes),
    ]
    for c, row in zip(classes, test["confusion"]):
        lines.append(f"| {c} | " + " | ".join(str(v) for v in row) + " |")
    d = m["data_summary"]
    lines += [
        "",
        "## Data",
        "",
        "| class | files | seconds | windows: train | validation | test |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for c in classes:
        s = d[c]
        lines.append(f"| {c} | {s['files']} | {s['seconds']:.1f} | {s['train']} | {s['validation']} | {s['test']} |")
    lines += [
        "",
        f"Windows of {m['window_seconds']:g} s every {m['hop_seconds']:g} s; recordings longer than "
        f"{m['segment_seconds']:g} s are cut into segments of that length, each split on its own, so windows of "
        f"one stretch of sound are never on both sides. {m['skipped_silent']} windows quieter than "
        f"{m['min_dbfs']:g} dBFS were left out.",
    ]
    if m.get("background"):
        lines.append(f"Background: {m['background']}.")
    t = m["training"]
    lines += [
        "",
        "## Training",
        "",
        f"- {t['epochs_run']} epochs (at most {t['max_epochs']}, stopping after {t['patience']} without a better "
        f"validation score); the model of epoch {t['best_epoch']} is kept (validation balanced accuracy "
        f"{_pct(t['best_validation_balanced_accuracy'])})",
        f"- batches of {t['batch']} drawn class-balanced, {t['steps_per_epoch']} per epoch; AdamW, learning rate "
        f"{t['lr']:g} halved when the validation loss stalls, weight decay {t['weight_decay']:g}, label smoothing 0.05",
        f"- augmentation: {t['augmentation']}",
        f"- seed {t['seed']}, {t['threads']} threads, {t['seconds']:.0f} s; " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        "",
        "## Checked",
        "",
        f"- onnxruntime against PyTorch on the test windows: max |logit difference| {m['verification']['onnxruntime']:.2e}",
        f"- wam (`wam model run`) against PyTorch: {m['verification']['wam']}",
        "",
        "## Use it",
        "",
        "```sh",
        f"wam explain recording.wav --model {m['onnx']} --out out/",
        f"wam eval --data {m['test_folder']} --model {m['onnx']} --limit 30",
        f"wamd alsa:default --model {m['onnx']} --out /var/lib/wamd",
        "```",
        "",
        "The numbers above hold for sounds like the recordings it was trained on: the same microphone, room "
        "and sources. A class it has never heard is still sorted into one of its classes; give it a "
        "`background` class (--background DIR --background-class) to have somewhere to put the rest.",
        "",
    ]
    return "\n".join(lines)
