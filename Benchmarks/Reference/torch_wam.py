#!/usr/bin/env python3
"""PyTorch + ptwt side of `wam-bench attribution`: WAM_SG (n = 25) and WAM_IG (m = 32) of one 1 s
window with the bundled audio model, db4, symmetric, 6 levels, CPU, one thread by default.

The model runs in float32 through Tools/samples/nets.py's OnnxTorch (torch.nn.functional ops on
the ONNX weights); the wavelet transform and its autograd adjoint are ptwt's. Each method is one
batched forward + backward, as the authors' code does. Prints JSON with the median of N runs
and the peak resident memory.

    python3 Benchmarks/Reference/torch_wam.py [--threads 1] [--repeats 5]
"""
import argparse
import json
import resource
import sys
import time
import wave
from pathlib import Path

import numpy as np
import ptwt
import pywt
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tools" / "samples"))
from nets import OnnxTorch  # noqa: E402


def read_wav(path):
    with wave.open(str(path)) as f:
        return np.frombuffer(f.readframes(f.getnframes()), dtype="<i2").astype(np.float32) / 32768


def wam(model, x, target, alphas=None, noise=None):
    """Mean gradient with respect to the coefficients over a batch of path points or noisy copies."""
    wavelet = pywt.Wavelet("db4")
    if noise is not None:
        batch = torch.from_numpy(x[None, :] + noise)
        coeffs = ptwt.wavedec(batch, wavelet, mode="symmetric", level=6)
        coeffs = [c.detach().requires_grad_(True) for c in coeffs]
    else:
        base = ptwt.wavedec(torch.from_numpy(x[None, :]), wavelet, mode="symmetric", level=6)
        scale = torch.from_numpy(alphas.astype(np.float32))[:, None]
        coeffs = [(c * scale).detach().requires_grad_(True) for c in base]
    signal = ptwt.waverec(coeffs, wavelet)[:, : x.shape[0]]
    logits = model(signal[:, None, :])
    logits[:, target].sum().backward()
    return [c.grad.mean(dim=0) for c in coeffs]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = OnnxTorch(ROOT / "Samples" / "models" / "audio-resnet.onnx", dtype=torch.float32)
    x = read_wav(ROOT / "Samples" / "audio" / "yes.wav")
    with torch.no_grad():
        target = int(model(torch.from_numpy(x)[None, None, :]).argmax())
    rng = np.random.default_rng(0)
    noise = (rng.standard_normal((25, x.size)) * 0.1 * (x.max() - x.min())).astype(np.float32)
    alphas = (np.arange(1, 33) - 0.5) / 32
    timings = {}
    for name, run in (("wam_smoothgrad_n25", lambda: wam(model, x, target, noise=noise)),
                      ("wam_intgrad_m32", lambda: wam(model, x, target, alphas=alphas))):
        run()
        samples = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            run()
            samples.append((time.perf_counter() - start) * 1e3)
        timings[name + "_ms"] = float(np.median(samples))
    timings["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"torch": torch.__version__, "ptwt": ptwt.__version__ if hasattr(ptwt, "__version__") else "",
                      "threads": args.threads, **timings}, indent=2))


if __name__ == "__main__":
    main()
