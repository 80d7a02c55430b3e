"""Checks that the exported file computes what PyTorch computes: with onnxruntime, and with wam's
own engine (`wam model run`), the program that will run it."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from .network import ort_logits

REPOSITORY = Path(__file__).resolve().parents[2]


def find_wam(given: str | None) -> Path | None:
    """--wam, else $WAM, else `wam` on the PATH, else this repository's release or debug build."""
    for candidate in (given, os.environ.get("WAM"), shutil.which("wam"),
                      REPOSITORY / ".build/release/wam", REPOSITORY / ".build/debug/wam"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def onnxruntime_difference(path: Path, x: np.ndarray, reference: np.ndarray) -> float:
    """Max |onnxruntime - reference| over the logits of x [N, L]."""
    return float(np.max(np.abs(ort_logits(path, x[:, None]) - reference)))


class WamRunError(Exception):
    pass


def wam_difference(wam: Path, path: Path, x: np.ndarray, reference: np.ndarray) -> float:
    """Max |wam model run - reference| over the logits of x [N, L]."""
    with tempfile.TemporaryDirectory(prefix="wamtrain-") as scratch:
        inputs, outputs = Path(scratch) / "windows.npy", Path(scratch) / "logits.npz"
        np.save(inputs, x[:, None].astype(np.float32))
        run = subprocess.run([str(wam), "model", "run", str(path), str(inputs), "--out", str(outputs)],
                             capture_output=True, text=True)
        if run.returncode != 0:
            said = run.stderr.strip() or "it printed nothing"
            raise WamRunError(f"{wam} model run failed (exit {run.returncode}): {said}")
        try:
            logits = np.load(outputs)["logits"]
        except (OSError, KeyError, ValueError) as error:
            raise WamRunError(f"{wam} model run wrote no logits ({error}); is it wam?") from None
    if logits.shape != reference.shape:
        raise WamRunError(f"{wam} model run gave logits of shape {logits.shape}, expected {reference.shape}")
    return float(np.max(np.abs(logits - reference)))
