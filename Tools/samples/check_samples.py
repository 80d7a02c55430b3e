#!/usr/bin/env python3
"""Checks what Tools/samples committed: model op sets, opset, sizes, reference logits, audio budget,
fixture consistency. Exits non-zero on the first failure.

    python3 Tools/samples/check_samples.py
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnx
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import FIXTURES, MODELS, ROOT, SAMPLES, read_wav  # noqa: E402
from nets import ALLOWED_OPS, OnnxTorch, ort_logits, sha256  # noqa: E402
from wavelet_torch import wavedec_flat  # noqa: E402

MB = 1024 * 1024


def load_input(rel: str) -> np.ndarray:
    p = ROOT / rel
    return read_wav(p)[0] if p.suffix == ".wav" else np.load(p).astype(np.float32)


def main() -> None:
    failures = []

    def check(ok: bool, what: str):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    for onnx_path in sorted(MODELS.glob("*.onnx")):
        name = onnx_path.stem
        m = onnx.load(str(onnx_path))
        ops = {n.op_type for n in m.graph.node}
        check(ops <= ALLOWED_OPS, f"{name}: ops {sorted(ops)}")
        check(m.opset_import[0].version == 17, f"{name}: opset {m.opset_import[0].version}")
        check(onnx_path.stat().st_size < 5 * MB, f"{name}: {onnx_path.stat().st_size / MB:.2f} MB < 5 MB")
        dim0 = m.graph.input[0].type.tensor_type.shape.dim[0]
        check(dim0.dim_param != "", f"{name}: dynamic batch axis ({dim0.dim_param})")
        labels = json.loads((MODELS / f"{name}.labels.json").read_text())
        check(m.graph.output[0].type.tensor_type.shape.dim[1].dim_value == len(labels), f"{name}: {len(labels)} labels")
        s = json.loads((MODELS / f"{name}.samples.json").read_text())
        inputs = np.stack([load_input(e["file"]) for e in s["inputs"]])[:, None]
        ref = np.array([e["logits"] for e in s["inputs"]])
        got = ort_logits(onnx_path, inputs)
        check(float(np.max(np.abs(got - ref))) < 1e-4, f"{name}: onnxruntime reproduces {len(ref)} reference logits")
        with torch.no_grad():
            tl = OnnxTorch(onnx_path, torch.float64)(torch.from_numpy(inputs.astype(np.float64))).numpy()
        check(float(np.max(np.abs(tl - ref))) < 1e-4, f"{name}: PyTorch (float64) reproduces them")
        card = (MODELS / f"{name}.md").read_text()
        check(sha256(onnx_path) in card, f"{name}: card names the model's sha256")

    audio_bytes = sum(p.stat().st_size for p in (SAMPLES / "audio").rglob("*") if p.is_file())
    check(audio_bytes < 5 * MB, f"Samples/audio: {audio_bytes / MB:.2f} MB < 5 MB")

    index = json.loads((FIXTURES / "index.json").read_text())
    total = 0
    for e in index["cases"]:
        f = np.load(FIXTURES / e["file"])
        total += (FIXTURES / e["file"]).stat().st_size
        x = load_input(e["input"])
        check(np.array_equal(f["x"], x), f"{e['file']}: x is {e['input']}")
        check(e["model_sha256"] == sha256(ROOT / e["model"]), f"{e['file']}: model hash matches {e['model']}")
        z, layout = wavedec_flat(x.astype(np.float64), e["wavelet"], e["mode"], e["levels"])
        check(np.allclose(f["coeffs"], z, atol=1e-6), f"{e['file']}: coeffs = pywt.wavedecn")
        pos, bands_ok = 0, True
        for b in e["bands"]:
            arr = f[b["name"]]
            bands_ok &= list(arr.shape) == b["shape"] and np.array_equal(arr.ravel(), f["coeffs"][pos:pos + arr.size])
            bands_ok &= int(f["band_offsets"][e["bands"].index(b)]) == pos
            pos += arr.size
        check(bands_ok and pos == f["coeffs"].size,
              f"{e['file']}: {len(e['bands'])} bands ({', '.join(b['name'] for b in e['bands'])}) tile coeffs in order")
        for meth in ("grad", "ig", "sg"):
            p_ins, p_del = f[f"insertion_{meth}"], f[f"deletion_{meth}"]
            check(abs(p_ins[-1] - p_del[0]) < 1e-9, f"{e['file']}: {meth} insertion(K) = deletion(0)")
            check(abs(np.trapezoid(p_ins, dx=1 / int(f['eval_K'])) - float(f[f'insertion_auc_{meth}'])) < 1e-12,
                  f"{e['file']}: {meth} insertion AUC is the trapezoid")
        c = int(f["target"])
        check(abs(float(f["wam_ig"].astype(np.float64).sum()) - (f["logits"][c] - f["logits_baseline"][c]) - float(f["ig_gap"]))
              < 1e-3 * max(1.0, abs(float(f["logits"][c]))), f"{e['file']}: ig_gap = sum(wam_ig) - (f(x) - f(0))")
    check(total < 6 * MB, f"fixtures: {total / MB:.2f} MB")
    print(f"check_samples: {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
