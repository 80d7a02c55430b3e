#!/usr/bin/env python3
"""Train the raw-waveform 1D ResNet on Tools/data/audio/dataset.npz (CPU), export it to ONNX.

    python3 Tools/samples/train_audio.py            # -> Samples/models/audio-resnet.onnx
    python3 Tools/samples/train_audio.py --noisy    # -> Samples/models/audio-resnet-noisy.onnx

The noisy variant adds white noise at a uniform 0-20 dB SNR (relative to the clip's RMS) to 80% of
the training clips of every batch. Both models get random gain (+-6 dB) and a random zero-filled
shift (+-100 ms) per batch. BatchNorm statistics are frozen for the last 40% of the epochs (see
--freeze-bn). The final epoch is exported (no model selection on the test split).

Writes Samples/models/<name>.onnx, <name>.labels.json, <name>.metrics.json and the model card
<name>.md; checkpoints and the training log go to Tools/data/models/ (git-ignored).
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import AUDIO_CLASSES, AUDIO_DATA, CLIP, DATA, MODELS, SEED, dump_json, progress  # noqa: E402
from nets import AudioResNet, count_params, export_onnx, ort_logits, sha256, verify_onnx  # noqa: E402
import cards  # noqa: E402

EVAL_SNRS = [None, 10.0, 0.0]


def load_dataset():
    d = np.load(AUDIO_DATA / "dataset.npz")
    x = d["x"].astype(np.float32) / np.float32(32768.0)
    return x, d["y"], d["split"]


def noisy_copy(x: np.ndarray, snr_db: float) -> np.ndarray:
    """Test inputs with white noise at snr_db (noise RMS = clip RMS / 10^(snr/20)), seeded per SNR."""
    rng = np.random.default_rng([SEED, 7, int(round(snr_db * 10))])
    n = rng.standard_normal(x.shape)
    n /= np.sqrt(np.mean(n ** 2, axis=-1, keepdims=True))
    rms = np.sqrt(np.mean(x.astype(np.float64) ** 2, axis=-1, keepdims=True))
    return (x + n * rms / 10 ** (snr_db / 20)).astype(np.float32)


@torch.no_grad()
def predict(model, x: np.ndarray, bs: int = 128) -> np.ndarray:
    model.eval()
    return np.concatenate([model(torch.from_numpy(x[i:i + bs, None])).numpy() for i in range(0, len(x), bs)])


def accuracy_table(logits_by_cond: dict, y: np.ndarray) -> dict:
    out = {}
    for cond, logits in logits_by_cond.items():
        pred = logits.argmax(1)
        out[cond] = {"overall": float(np.mean(pred == y)),
                     "per_class": {c: float(np.mean(pred[y == i] == i)) for i, c in enumerate(AUDIO_CLASSES)},
                     "confusion": [[int(np.sum((y == i) & (pred == j))) for j in range(len(AUDIO_CLASSES))]
                                   for i in range(len(AUDIO_CLASSES))]}
    return out


def cond_name(snr):
    return "clean" if snr is None else f"{int(snr)}dB"


def augment_batch(xb: torch.Tensor, rng: np.random.Generator, noisy: bool) -> torch.Tensor:
    n = xb.shape[0]
    out = torch.zeros_like(xb)
    shifts = rng.integers(-1600, 1601, n)
    for i, s in enumerate(shifts):
        if s >= 0:
            out[i, :, s:] = xb[i, :, :CLIP - s]
        else:
            out[i, :, :CLIP + s] = xb[i, :, -s:]
    out *= torch.from_numpy((10 ** (rng.uniform(-6, 6, n) / 20)).astype(np.float32))[:, None, None]
    if noisy:
        snr = rng.uniform(0, 20, n)
        on = rng.random(n) < 0.8
        rms = out.pow(2).mean(dim=(1, 2)).sqrt()
        scale = torch.from_numpy((on / 10 ** (snr / 20)).astype(np.float32)) * rms
        g = torch.Generator().manual_seed(int(rng.integers(2 ** 31)))
        out = out + torch.randn(out.shape, generator=g) * scale[:, None, None]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--noisy", action="store_true", help="train with 0-20 dB SNR white noise")
    ap.add_argument("--epochs", type=int, default=None, help="default 24, or 36 with --noisy")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--freeze-bn", type=float, default=0.6,
                    help="fraction of the epochs after which BatchNorm statistics are frozen")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--export-only", action="store_true",
                    help="skip training: evaluate and export the checkpoint in Tools/data/models/")
    args = ap.parse_args()
    name = "audio-resnet-noisy" if args.noisy else "audio-resnet"
    if args.epochs is None:
        args.epochs = 36 if args.noisy else 24
    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED + int(args.noisy))
    rng = np.random.default_rng([SEED, 100 + int(args.noisy)])
    ckdir = DATA / "models"
    ckdir.mkdir(parents=True, exist_ok=True)

    x, y, split = load_dataset()
    xtr, ytr = x[split == 0], y[split == 0]
    xte, yte = x[split == 1], y[split == 1]
    model = AudioResNet(len(AUDIO_CLASSES))
    progress(f"train_audio[{name}]: {len(xtr)} train / {len(xte)} test clips, {count_params(model)} parameters")

    steps_per_epoch = len(xtr) // args.batch
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch,
                                                pct_start=0.15)
    xtr_t, ytr_t = torch.from_numpy(xtr[:, None]), torch.from_numpy(ytr)
    t0 = time.time()
    log = []
    if args.export_only:
        model.load_state_dict(torch.load(ckdir / f"{name}.pt"))
        log = json.loads((ckdir / f"{name}.log.json").read_text())
        args.epochs = 0
    freeze_at = int(round(args.freeze_bn * args.epochs))
    for epoch in range(args.epochs):
        model.train()
        if epoch >= freeze_at:
            # Raw waveforms with 30 dB of gain spread make BatchNorm's batch statistics swing from batch
            # to batch; training the last epochs on the fixed running statistics makes the exported
            # (eval-mode) model match what was trained.
            for mod in model.modules():
                if isinstance(mod, torch.nn.modules.batchnorm._BatchNorm):
                    mod.eval()
        perm = rng.permutation(len(xtr))
        total, correct, loss_sum = 0, 0, 0.0
        for s in range(steps_per_epoch):
            idx = torch.from_numpy(perm[s * args.batch:(s + 1) * args.batch])
            xb = augment_batch(xtr_t[idx], rng, args.noisy)
            logits = model(xb)
            loss = F.cross_entropy(logits, ytr_t[idx], label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += float(loss.detach()) * len(idx)
            correct += int((logits.argmax(1) == ytr_t[idx]).sum())
            total += len(idx)
        test_acc = float(np.mean(predict(model, xte).argmax(1) == yte))
        entry = {"epoch": epoch + 1, "loss": loss_sum / total, "train_acc": correct / total, "test_acc": test_acc,
                 "seconds": round(time.time() - t0, 1)}
        log.append(entry)
        progress(f"train_audio[{name}]: epoch {epoch + 1}/{args.epochs} loss {entry['loss']:.3f} "
                 f"train {entry['train_acc']:.3f} test {test_acc:.3f} [{entry['seconds']} s]")
        torch.save(model.state_dict(), ckdir / f"{name}.pt")
        dump_json(ckdir / f"{name}.log.json", log)
    train_seconds = log[-1]["seconds"]
    args.epochs = len(log)

    # Evaluation: clean, 10 dB and 0 dB white noise on the test split.
    model.eval()
    conds = {cond_name(s): (xte if s is None else noisy_copy(xte, s)) for s in EVAL_SNRS}
    torch_logits = {c: predict(model, v) for c, v in conds.items()}

    # Export and verify against onnxruntime on every evaluated input.
    path = MODELS / f"{name}.onnx"
    export_onnx(model, torch.from_numpy(xte[:2, None]), path, input_name="waveform")
    max_err = 0.0
    onnx_logits = {}
    for c, v in conds.items():
        onnx_logits[c] = ort_logits(path, v[:, None])
        max_err = max(max_err, float(np.max(np.abs(onnx_logits[c] - torch_logits[c]))))
    verify_onnx(model, path, conds["clean"][:64, None])
    assert max_err <= 1e-4, max_err
    acc = accuracy_table(onnx_logits, yte)
    dump_json(MODELS / f"{name}.labels.json", AUDIO_CLASSES)
    metrics = {
        "name": name, "onnx": path.name, "onnx_sha256": sha256(path), "onnx_bytes": path.stat().st_size,
        "parameters": count_params(model), "classes": AUDIO_CLASSES,
        "train_clips": int(len(xtr)), "test_clips": int(len(xte)),
        "test_clips_per_class": {c: int(np.sum(yte == i)) for i, c in enumerate(AUDIO_CLASSES)},
        "noise_augmentation": "white noise 0-20 dB SNR on 80% of clips" if args.noisy else "none",
        "epochs": args.epochs, "batch": args.batch, "lr": args.lr, "threads": args.threads,
        "train_seconds": round(train_seconds, 1), "seed": SEED,
        "onnx_vs_torch_max_abs_logit_diff": max_err,
        "accuracy": acc, "log": log,
        "versions": {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version()},
    }
    dump_json(MODELS / f"{name}.metrics.json", metrics)
    cards.write_audio_card(name)
    progress(f"train_audio[{name}]: done in {train_seconds:.0f} s; test accuracy clean "
             f"{acc['clean']['overall']:.3f}, 10 dB {acc['10dB']['overall']:.3f}, 0 dB {acc['0dB']['overall']:.3f}; "
             f"ONNX max |diff| {max_err:.2e}")


if __name__ == "__main__":
    main()
