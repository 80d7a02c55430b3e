"""Model definitions, BatchNorm folding, ONNX export + verification, and a tiny ONNX -> PyTorch
interpreter (used by make_wam_fixtures.py so the fixtures come from the committed .onnx files).

Exported graphs only use: Conv, Relu, Add, MaxPool, AveragePool, GlobalAveragePool, Flatten, Gemm.
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Training"))
from wamtrain.network import (ALLOWED_OPS, AudioResNet, ConvBN, ResBlock, count_params, export_onnx,  # noqa: E402,F401
                              fold_bn, ort_logits)


# --------------------------------------------------------------------------- image and volume models
class DigitsCNN(nn.Module):
    """[N, 1, 32, 32] -> [N, 10]."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            # AveragePool, not MaxPool: the digits' exact-zero background would make max-pool ties whose
            # gradient routing depends on rounding (the 3D model's noisy volumes have no such ties).
            ConvBN(2, 1, 16, 3), nn.AvgPool2d(2),                    # 16x16
            ResBlock(2, 16, 32, 3, 2),                               # 8x8
            ResBlock(2, 32, 64, 3, 2),                               # 4x4
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(64, classes)

    def forward(self, x):
        return self.head(torch.flatten(self.pool(self.features(x)), 1))


class Shapes3DCNN(nn.Module):
    """[N, 1, 24, 24, 24] -> [N, classes]."""

    def __init__(self, classes: int):
        super().__init__()
        self.features = nn.Sequential(
            ConvBN(3, 1, 8, 3), nn.MaxPool3d(2),                     # 12^3
            ResBlock(3, 8, 16, 3, 2),                                # 6^3
            ResBlock(3, 16, 32, 3, 2),                               # 3^3
        )
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.head = nn.Linear(32, classes)

    def forward(self, x):
        return self.head(torch.flatten(self.pool(self.features(x)), 1))


# --------------------------------------------------------------------------- verification
def verify_onnx(model: nn.Module, path: Path, inputs: np.ndarray, atol: float = 1e-4) -> float:
    """Max |onnxruntime - PyTorch| logits over `inputs`; asserts it is <= atol."""
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    got = np.concatenate([sess.run(None, {name: inputs[i:i + 64]})[0] for i in range(0, len(inputs), 64)])
    with torch.no_grad():
        ref = torch.cat([model.eval()(torch.from_numpy(inputs[i:i + 64])) for i in range(0, len(inputs), 64)]).numpy()
    err = float(np.max(np.abs(got - ref)))
    assert err <= atol, f"onnxruntime vs PyTorch logits differ by {err}"
    return err


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# --------------------------------------------------------------------------- ONNX -> torch
class OnnxTorch(nn.Module):
    """Runs an ONNX graph made of the allowed ops with torch functions (differentiable, any dtype)."""

    def __init__(self, path: Path, dtype=torch.float64):
        super().__init__()
        self.model = onnx.load(str(path))
        self.init = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()).to(dtype)
                     for t in self.model.graph.initializer}
        self.input_name = self.model.graph.input[0].name
        self.output_name = self.model.graph.output[0].name
        self.dtype = dtype

    def forward(self, x: torch.Tensor, capture: set[str] | None = None):
        env = dict(self.init)
        env[self.input_name] = x
        captured = {}
        for node in self.model.graph.node:
            a = {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}
            ins = [env[i] for i in node.input if i]
            op = node.op_type
            if op == "Conv":
                nd = ins[1].dim() - 2
                pads = a.get("pads", [0] * (2 * nd))
                assert pads[:nd] == pads[nd:], "asymmetric pads"
                fn = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd]
                y = fn(ins[0], ins[1], ins[2] if len(ins) > 2 else None, stride=a.get("strides", 1),
                       padding=tuple(pads[:nd]), dilation=a.get("dilations", 1), groups=a.get("group", 1))
            elif op == "Relu":
                y = F.relu(ins[0])
            elif op == "Add":
                y = ins[0] + ins[1]
            elif op in ("MaxPool", "AveragePool"):
                nd = len(a["kernel_shape"])
                pads = a.get("pads", [0] * (2 * nd))
                assert not any(pads) and not a.get("ceil_mode", 0)
                fn = {("MaxPool", 1): F.max_pool1d, ("MaxPool", 2): F.max_pool2d, ("MaxPool", 3): F.max_pool3d,
                      ("AveragePool", 1): F.avg_pool1d, ("AveragePool", 2): F.avg_pool2d,
                      ("AveragePool", 3): F.avg_pool3d}[(op, nd)]
                y = fn(ins[0], a["kernel_shape"], stride=a.get("strides", a["kernel_shape"]))
            elif op == "GlobalAveragePool":
                y = ins[0].mean(dim=tuple(range(2, ins[0].dim())), keepdim=True)
            elif op == "Flatten":
                y = torch.flatten(ins[0], a.get("axis", 1))
            elif op == "Gemm":
                A, B = ins[0], ins[1]
                if a.get("transA", 0):
                    A = A.T
                if a.get("transB", 0):
                    B = B.T
                y = a.get("alpha", 1.0) * (A @ B)
                if len(ins) > 2:
                    y = y + a.get("beta", 1.0) * ins[2]
            else:
                raise ValueError(f"unsupported op {op}")
            env[node.output[0]] = y
            if capture and node.output[0] in capture:
                captured[node.output[0]] = y
        out = env[self.output_name]
        return (out, captured) if capture else out
