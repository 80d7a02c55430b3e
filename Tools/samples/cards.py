"""Model cards (Samples/models/<name>.md), written from <name>.metrics.json and, when present,
<name>.samples.json (the model's logits on the committed sample inputs)."""
from __future__ import annotations

import json

import numpy as np
from pathlib import Path

from common import MODELS

REPRO = """## How to reproduce

```
bash Tools/setup-system.sh --samples                 # espeak-ng, fluidsynth, fluid-soundfont-gm, sox
python3 -m venv .venv && .venv/bin/pip install -r Tools/samples/requirements.txt
bash Tools/samples/make_all.sh                       # or the single steps below
```

{steps}

Everything is seeded and the dataset is bit-identical across reruns, but training on another CPU
or thread count can differ in the last bits and then follow another trajectory: expect the
accuracies to move by a few points (see the note on run-to-run spread above), not the method.
See Tools/samples/README.md.
"""


def _pct(v: float) -> str:
    return f"{100 * v:.1f}%"


def _samples_section(name: str) -> str:
    p = MODELS / f"{name}.samples.json"
    if not p.exists():
        return ""
    s = json.loads(p.read_text())
    lines = ["## On the committed sample inputs", "",
             f"Logits for every committed sample input are in `{p.name}` (onnxruntime "
             f"{s.get('onnxruntime', '')}; PyTorch agrees within {s.get('max_abs_diff_torch', 0):.1e}).", ""]
    for group, g in s.get("summary", {}).items():
        lines.append(f"- {group}: {g['correct']}/{g['total']} correct ({_pct(g['correct'] / max(g['total'], 1))})"
                     + (f" - {g['note']}" if g.get("note") else ""))
    return "\n".join(lines) + "\n\n"


def write_audio_card(name: str) -> None:
    m = json.loads((MODELS / f"{name}.metrics.json").read_text())
    acc = m["accuracy"]
    noisy = name.endswith("noisy")
    other = "audio-resnet" if noisy else "audio-resnet-noisy"
    rows = []
    for c in m["classes"]:
        rows.append(f"| {c} | {m['test_clips_per_class'][c]} | {_pct(acc['clean']['per_class'][c])} | "
                    f"{_pct(acc['10dB']['per_class'][c])} | {_pct(acc['0dB']['per_class'][c])} |")
    weak = [c for c in m["classes"] if acc["clean"]["per_class"][c] < 0.85]
    weak0 = sorted(m["classes"], key=lambda c: acc["0dB"]["per_class"][c])[:3]
    notes = []
    if weak:
        notes.append("Weak on clean audio (< 85%): " + ", ".join(f"{c} ({_pct(acc['clean']['per_class'][c])})" for c in weak) + ".")
    notes.append("Hardest at 0 dB: " + ", ".join(f"{c} ({_pct(acc['0dB']['per_class'][c])})" for c in weak0) + ".")
    other_m = MODELS / f"{other}.metrics.json"
    compare = ""
    if other_m.exists():
        o = json.loads(other_m.read_text())["accuracy"]
        compare = ("\n| model | clean | 10 dB | 0 dB |\n|---|---|---|---|\n"
                   + "".join(f"| {n} | {_pct(a['clean']['overall'])} | {_pct(a['10dB']['overall'])} | {_pct(a['0dB']['overall'])} |\n"
                             for n, a in sorted([(name, acc), (other, o)])))
    conf0 = np.array(acc["0dB"]["confusion"])
    top0 = int(conf0.sum(0).argmax())
    notes.append(f"At 0 dB the most frequent answer is {m['classes'][top0]} "
                 f"({_pct(conf0.sum(0)[top0] / conf0.sum())} of all test clips).")
    # Most frequent confusions on clean test clips.
    conf = acc["clean"]["confusion"]
    pairs = sorted(((conf[i][j], m["classes"][i], m["classes"][j]) for i in range(len(conf)) for j in range(len(conf))
                    if i != j and conf[i][j] > 0), reverse=True)[:5]
    if pairs:
        notes.append("Most frequent clean confusions (true -> predicted, clips): "
                     + ", ".join(f"{a} -> {b} ({n})" for n, a, b in pairs) + ".")
    steps = ("```\npython3 Tools/samples/make_dataset.py\n"
             f"python3 Tools/samples/train_audio.py{' --noisy' if noisy else ''}\n"
             "python3 Tools/samples/make_sample_audio.py     # sample clips + this card's sample section\n```")
    if noisy:
        notes.append("Run-to-run spread: during development three trainings of this model (24 or 36 "
                     "epochs, datasets differing only in the noise-burst clips) reached 88.5% / 96.9% / "
                     "91.7% clean and 74.8% / 94.6% / 80.9% at 0 dB; freezing BatchNorm costs a loss spike "
                     "that noisy batches make larger, and the final accuracy depends on how well it recovers.")
    text = f"""# {name}

A raw-waveform 1D ResNet that classifies 1 s of 16 kHz mono audio into {len(m['classes'])} classes.
{"Trained with white-noise augmentation (" + m['noise_augmentation'] + "), for denoising experiments." if noisy else "Trained on clean(ish) clips (light 25-45 dB SNR noise on some dataset clips only)."}
Sibling model: `{other}.onnx`.

## Interface

- File: `{m['onnx']}` ({m['onnx_bytes'] / 1024:.0f} kB, sha256 `{m['onnx_sha256']}`), ONNX opset 17,
  BatchNorm folded into the convolutions; ops: Conv, Relu, Add, GlobalAveragePool, Flatten, Gemm.
- Input `waveform`: float32 `[N, 1, 16000]` (dynamic batch N), samples in [-1, 1]
  (16-bit PCM / 32768), 16 kHz mono, no other normalisation.
- Output `logits`: float32 `[N, {len(m['classes'])}]`, pre-softmax; class names in output order in
  `{name}.labels.json`: {", ".join(m['classes'])}.

## Architecture

Stem Conv(1->24, k49, s4) + ReLU; residual blocks (conv-BN-ReLU-conv-BN + 1x1 shortcut, ReLU)
24->32 (k9, s4), 32->64 (k9, s4), 64->128 (k9/k3, s4), 128->128 (k3, s2); global average pool;
linear 128->{len(m['classes'])}. {m['parameters']:,} parameters. Receptive field covers the whole
second after pooling.

## Data and training

The bundled synthetic dataset (Tools/samples/make_dataset.py): spoken words by espeak-ng (many
voices, accents, speeds, pitches), instruments rendered by fluidsynth with FluidR3_GM from
generated MIDI, and sox-synthesized sounds; augmented with gain, shift and light noise; split into
train/test **by source** (for words: by espeak voice variant, so test voices are unheard).
{m['train_clips']} training clips, {m['test_clips']} test clips. AdamW, one-cycle LR {m['lr']}, batch
{m['batch']}, {m['epochs']} epochs, label smoothing 0.05, random gain +-6 dB and shift +-100 ms;
BatchNorm statistics frozen for the last 40% of the epochs; noise augmentation:
{m['noise_augmentation']}. Training took {m['train_seconds'] / 60:.1f} min on {m['threads']} CPU
thread(s) of a shared 2-core machine. The last epoch is exported (no selection on the test split).

## Accuracy on the test split (onnxruntime)

White noise is added at the given SNR relative to each clip's RMS (0 dB: noise RMS = signal RMS),
seeded, identical for both models.

Overall: clean **{_pct(acc['clean']['overall'])}**, 10 dB **{_pct(acc['10dB']['overall'])}**,
0 dB **{_pct(acc['0dB']['overall'])}**.
{compare}
| class | test clips | clean | 10 dB | 0 dB |
|---|---|---|---|---|
{chr(10).join(rows)}

{" ".join(notes)}

The data is synthetic: espeak-ng speech and General-MIDI instruments are far cleaner and more
uniform than real recordings, so do not expect these numbers on microphone audio.

{_samples_section(name)}{REPRO.format(steps=steps)}"""
    (MODELS / f"{name}.md").write_text(text)


def write_simple_card(name: str, title: str, body: str) -> None:
    (MODELS / f"{name}.md").write_text(f"# {title}\n\n{body}\n{_samples_section(name)}")
