#!/usr/bin/env python3
"""Train the small 2D (digits) and 3D (shapes) CNNs, export them to ONNX, write sample inputs.

    python3 Tools/samples/train_image_volume.py [--only digits|shapes]

digits-cnn:   scikit-learn's bundled 8x8 digits (1797 images, no download), values / 16, resized to
              32x32 with bilinear interpolation (PyTorch, align_corners=False), input [N, 1, 32, 32].
shapes3d-cnn: generated 24^3 volumes of six shapes (sphere, shell, cube, cylinder, cone, torus),
              random size/position/rotation, soft edges, Gaussian noise, input [N, 1, 24, 24, 24].

Writes Samples/models/{digits-cnn,shapes3d-cnn}.{onnx,labels.json,metrics.json,samples.json,md},
Samples/images/digit-<d>.{png,npy} and Samples/volumes/<shape>.npy (+ a PNG of the middle slices).
The sample .npy files hold the spatial array only ([32, 32] / [24, 24, 24], float32); the model
input adds the batch and channel axes. The PNG and the .npy of a digit are the same input
(npy = png / 255).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import MODELS, SAMPLES, SEED, dump_json, progress, write_png_gray  # noqa: E402
from nets import DigitsCNN, Shapes3DCNN, count_params, export_onnx, ort_logits, sha256, verify_onnx  # noqa: E402
import cards  # noqa: E402

SHAPES = ["sphere", "shell", "cube", "cylinder", "cone", "torus"]
VOL = 24


# --------------------------------------------------------------------------- data
def digits_data():
    from sklearn.datasets import load_digits
    d = load_digits()
    x = torch.from_numpy(d.images.astype(np.float32) / 16.0)[:, None]
    x = F.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False).clamp(0, 1)
    x = (torch.round(x * 255) / 255).numpy().astype(np.float32)     # 8-bit exact, like the PNGs
    y = d.target.astype(np.int64)
    perm = np.random.default_rng([SEED, 2]).permutation(len(y))
    test = np.zeros(len(y), bool)
    test[perm[: len(y) // 5]] = True
    return x, y, test


def rotation(rng):
    q = rng.standard_normal(4)
    q /= np.linalg.norm(q)
    a, b, c, d = q
    return np.array([[a*a+b*b-c*c-d*d, 2*(b*c-a*d), 2*(b*d+a*c)],
                     [2*(b*c+a*d), a*a-b*b+c*c-d*d, 2*(c*d-a*b)],
                     [2*(b*d-a*c), 2*(c*d+a*b), a*a-b*b-c*c+d*d]])


def make_volume(shape: str, rng) -> np.ndarray:
    g = np.arange(VOL) - (VOL - 1) / 2
    p = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1) - rng.uniform(-2.5, 2.5, 3)
    p = p @ rotation(rng).T
    x, y, z = p[..., 0], p[..., 1], p[..., 2]
    s = rng.uniform(0.8, 1.2)
    rho = np.sqrt(x ** 2 + y ** 2)
    if shape == "sphere":
        sdf = np.sqrt(rho ** 2 + z ** 2) - 7 * s
    elif shape == "shell":
        sdf = np.abs(np.sqrt(rho ** 2 + z ** 2) - 7 * s) - rng.uniform(0.8, 1.6)
    elif shape == "cube":
        sdf = np.max(np.abs(p), -1) - 5.5 * s
    elif shape == "cylinder":
        sdf = np.maximum(rho - 4.5 * s, np.abs(z) - 7 * s)
    elif shape == "cone":
        h = 7 * s
        sdf = np.maximum(rho - 6 * s * (h - z) / (2 * h), np.abs(z) - h)
    else:  # torus
        sdf = np.sqrt((rho - 6 * s) ** 2 + z ** 2) - 2.2 * s
    v = 1 / (1 + np.exp(sdf / 0.5))
    v = v * rng.uniform(0.6, 1.0) + rng.normal(0, 0.05, v.shape)
    return np.clip(v, 0, 1).astype(np.float32)


def shapes_data(per_class=300, test_per_class=60):
    rng = np.random.default_rng([SEED, 3])
    xs, ys, test = [], [], []
    for i, s in enumerate(SHAPES):
        for k in range(per_class + test_per_class):
            xs.append(make_volume(s, rng))
            ys.append(i)
            test.append(k >= per_class)
    return np.stack(xs)[:, None], np.array(ys, np.int64), np.array(test)


# --------------------------------------------------------------------------- training
def train(model, x, y, epochs, lr, batch, rng, shift):
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-3)
    steps = len(x) // batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps, pct_start=0.2)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for epoch in range(epochs):
        model.train()
        perm = rng.permutation(len(x))
        correct = 0
        for s in range(steps):
            idx = torch.from_numpy(perm[s * batch:(s + 1) * batch])
            xb = xt[idx]
            if shift:
                dims = tuple(range(2, xb.dim()))
                xb = torch.roll(xb, tuple(int(v) for v in rng.integers(-shift, shift + 1, len(dims))), dims)
            logits = model(xb)
            loss = F.cross_entropy(logits, yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            correct += int((logits.argmax(1) == yt[idx]).sum())
        progress(f"  epoch {epoch + 1}/{epochs} train acc {correct / (steps * batch):.3f}")
    return model.eval()


def evaluate(path, x, y, labels):
    pred = ort_logits(path, x).argmax(1)
    return {"overall": float(np.mean(pred == y)),
            "per_class": {c: float(np.mean(pred[y == i] == i)) for i, c in enumerate(labels)}}


def samples_json(name, path, model, inputs: dict, labels, expected: dict):
    """Reference logits (onnxruntime and PyTorch) for each sample input file."""
    entries, ok = [], 0
    max_diff = 0.0
    for f, arr in inputs.items():
        lo = ort_logits(path, arr[None, None])[0]
        with torch.no_grad():
            lt = model(torch.from_numpy(arr[None, None])).numpy()[0]
        max_diff = max(max_diff, float(np.max(np.abs(lo - lt))))
        pred = int(np.argmax(lo))
        ok += pred == expected[f]
        entries.append({"file": f, "label": labels[expected[f]], "predicted": labels[pred], "logits": lo.tolist()})
    dump_json(MODELS / f"{name}.samples.json", {
        "model": path.name, "onnxruntime": onnxruntime.__version__, "max_abs_diff_torch": max_diff,
        "input_convention": "the .npy array with batch and channel axes added ([1, 1, ...]), float32",
        "summary": {"sample inputs": {"correct": int(ok), "total": len(inputs)}}, "inputs": entries})


def do_digits(rng_seed=SEED):
    t0 = time.time()
    torch.manual_seed(SEED + 10)
    labels = [str(d) for d in range(10)]
    x, y, test = digits_data()
    model = train(DigitsCNN(10), x[~test], y[~test], epochs=30, lr=3e-3, batch=64,
                  rng=np.random.default_rng([SEED, 20]), shift=2)
    secs = time.time() - t0
    path = MODELS / "digits-cnn.onnx"
    export_onnx(model, torch.from_numpy(x[:2]), path, input_name="image")
    err = verify_onnx(model, path, x[test])
    acc = evaluate(path, x[test], y[test], labels)
    dump_json(MODELS / "digits-cnn.labels.json", labels)
    # One test image per digit.
    inputs, expected = {}, {}
    idx_test = np.where(test)[0]
    for d in range(10):
        i = idx_test[y[idx_test] == d][0]
        img = x[i, 0]
        write_png_gray(SAMPLES / "images" / f"digit-{d}.png", np.round(img * 255).astype(np.uint8))
        np.save(SAMPLES / "images" / f"digit-{d}.npy", img)
        inputs[f"Samples/images/digit-{d}.npy"] = img
        expected[f"Samples/images/digit-{d}.npy"] = d
    samples_json("digits-cnn", path, model, inputs, labels, expected)
    metrics = {"name": "digits-cnn", "onnx_sha256": sha256(path), "onnx_bytes": path.stat().st_size,
               "parameters": count_params(model), "train": int((~test).sum()), "test": int(test.sum()),
               "train_seconds": round(secs, 1), "accuracy": acc, "onnx_vs_torch_max_abs_logit_diff": err}
    dump_json(MODELS / "digits-cnn.metrics.json", metrics)
    per = " | ".join(f"{c}: {100 * v:.1f}%" for c, v in acc["per_class"].items())
    cards.write_simple_card("digits-cnn", "digits-cnn", f"""A small 2D CNN for handwritten digits (scikit-learn's bundled 8x8 `load_digits`, 1797 images).

## Interface
- File `digits-cnn.onnx` ({path.stat().st_size / 1024:.0f} kB, sha256 `{metrics['onnx_sha256']}`), opset 17, BatchNorm
  folded; ops Conv, Relu, AveragePool, Add, GlobalAveragePool, Flatten, Gemm.
- Input `image`: float32 `[N, 1, 32, 32]`, values in [0, 1] (ink = 1): the 8x8 image / 16, resized
  to 32x32 (bilinear, align_corners=False), rounded to multiples of 1/255.
- Output `logits`: float32 `[N, 10]`; labels "0".."9" (`digits-cnn.labels.json`).
- Samples: `Samples/images/digit-<d>.png` (8-bit grayscale) and `.npy` (float32 `[32, 32]` = png / 255).

## Architecture and training
Conv(1->16, 3x3)+ReLU, AveragePool 2 (not MaxPool: the exact-zero background would give max-pool
ties whose gradient routing depends on rounding); residual blocks 16->32 (stride 2), 32->64 (stride 2); global
average pool; linear 64->10. {metrics['parameters']:,} parameters. Seeded 80/20 split
({metrics['train']} train / {metrics['test']} test), AdamW one-cycle 3e-3, 30 epochs, random shifts
of +-2 px, {secs:.0f} s on CPU.

## Accuracy (test split, onnxruntime)
Overall **{100 * acc['overall']:.1f}%**. Per class: {per}.
onnxruntime vs PyTorch logits: max |diff| {err:.1e}.

## How to reproduce
`python3 Tools/samples/train_image_volume.py --only digits` (see Tools/samples/README.md).
""")
    progress(f"train_image_volume[digits]: test acc {acc['overall']:.3f} in {secs:.0f} s, ONNX diff {err:.1e}")


def do_shapes():
    t0 = time.time()
    torch.manual_seed(SEED + 11)
    x, y, test = shapes_data()
    model = train(Shapes3DCNN(len(SHAPES)), x[~test], y[~test], epochs=12, lr=3e-3, batch=32,
                  rng=np.random.default_rng([SEED, 21]), shift=0)
    secs = time.time() - t0
    path = MODELS / "shapes3d-cnn.onnx"
    export_onnx(model, torch.from_numpy(x[:2]), path, input_name="volume")
    err = verify_onnx(model, path, x[test])
    acc = evaluate(path, x[test], y[test], SHAPES)
    dump_json(MODELS / "shapes3d-cnn.labels.json", SHAPES)
    inputs, expected = {}, {}
    idx_test = np.where(test)[0]
    for i_s, s in enumerate(SHAPES):
        i = idx_test[y[idx_test] == i_s][0]
        vol = x[i, 0]
        np.save(SAMPLES / "volumes" / f"{s}.npy", vol)
        mid = np.concatenate([vol[VOL // 2], vol[:, VOL // 2], vol[:, :, VOL // 2]], axis=1)
        write_png_gray(SAMPLES / "volumes" / f"{s}-slices.png", np.round(mid * 255).astype(np.uint8))
        inputs[f"Samples/volumes/{s}.npy"] = vol
        expected[f"Samples/volumes/{s}.npy"] = i_s
    samples_json("shapes3d-cnn", path, model, inputs, SHAPES, expected)
    metrics = {"name": "shapes3d-cnn", "onnx_sha256": sha256(path), "onnx_bytes": path.stat().st_size,
               "parameters": count_params(model), "train": int((~test).sum()), "test": int(test.sum()),
               "train_seconds": round(secs, 1), "accuracy": acc, "onnx_vs_torch_max_abs_logit_diff": err}
    dump_json(MODELS / "shapes3d-cnn.metrics.json", metrics)
    per = " | ".join(f"{c}: {100 * v:.1f}%" for c, v in acc["per_class"].items())
    cards.write_simple_card("shapes3d-cnn", "shapes3d-cnn", f"""A small 3D CNN that names the shape in a 24x24x24 volume: {", ".join(SHAPES)}.

## Interface
- File `shapes3d-cnn.onnx` ({path.stat().st_size / 1024:.0f} kB, sha256 `{metrics['onnx_sha256']}`), opset 17, BatchNorm
  folded; ops Conv, Relu, MaxPool, Add, GlobalAveragePool, Flatten, Gemm.
- Input `volume`: float32 `[N, 1, 24, 24, 24]`, values in [0, 1] (axes: depth, height, width).
- Output `logits`: float32 `[N, 6]`; labels in `shapes3d-cnn.labels.json`.
- Samples: `Samples/volumes/<shape>.npy` (float32 `[24, 24, 24]`), `<shape>-slices.png` shows the three
  middle slices side by side.

## Data
Generated by the script: soft-edged (sigmoid of the signed distance, 0.5 voxel) sphere, shell (hollow
sphere), cube, cylinder, cone and torus with random size (x0.8-1.2), position (+-2.5 voxels) and 3D
rotation, intensity x0.6-1.0 and Gaussian noise (sigma 0.05), clipped to [0, 1].
300 training and 60 test volumes per class.

## Architecture and training
Conv(1->8, 3^3)+ReLU, MaxPool 2; residual blocks 8->16 (stride 2), 16->32 (stride 2); global
average pool; linear 32->6. {metrics['parameters']:,} parameters. AdamW one-cycle 3e-3, 12 epochs,
{secs:.0f} s on CPU.

## Accuracy (test split, onnxruntime)
Overall **{100 * acc['overall']:.1f}%**. Per class: {per}.
onnxruntime vs PyTorch logits: max |diff| {err:.1e}.

## How to reproduce
`python3 Tools/samples/train_image_volume.py --only shapes` (see Tools/samples/README.md).
""")
    progress(f"train_image_volume[shapes]: test acc {acc['overall']:.3f} in {secs:.0f} s, ONNX diff {err:.1e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["digits", "shapes"])
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    (SAMPLES / "images").mkdir(parents=True, exist_ok=True)
    (SAMPLES / "volumes").mkdir(parents=True, exist_ok=True)
    if args.only in (None, "digits"):
        do_digits()
    if args.only in (None, "shapes"):
        do_shapes()


if __name__ == "__main__":
    main()
