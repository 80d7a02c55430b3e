"""Model definitions, BatchNorm folding, ONNX export + verification, and a tiny ONNX -> PyTorch
interpreter (used by make_wam_fixtures.py so the fixtures come from the committed .onnx files).

Exported graphs only use: Conv, Relu, Add, MaxPool, AveragePool, GlobalAveragePool, Flatten, Gemm.
"""
from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

ALLOWED_OPS = {"Conv", "Relu", "Add", "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten", "Gemm"}


# --------------------------------------------------------------------------- building blocks
def _conv(nd: int):
    return {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[nd]


def _bn(nd: int):
    return {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}[nd]


class ConvBN(nn.Sequential):
    def __init__(self, nd, cin, cout, k, stride=1, relu=True):
        layers = [_conv(nd)(cin, cout, k, stride=stride, padding=k // 2, bias=False), _bn(nd)(cout)]
        if relu:
            layers.append(nn.ReLU())
        super().__init__(*layers)


class ResBlock(nn.Module):
    """conv(k, stride)-BN-ReLU-conv(k2)-BN + shortcut (1x1 conv-BN when the shape changes), ReLU."""

    def __init__(self, nd, cin, cout, k, stride, k2=None):
        super().__init__()
        self.body = nn.Sequential(ConvBN(nd, cin, cout, k, stride), ConvBN(nd, cout, cout, k2 or k, 1, relu=False))
        self.short = (nn.Identity() if cin == cout and stride == 1
                      else nn.Sequential(_conv(nd)(cin, cout, 1, stride=stride, bias=False), _bn(nd)(cout)))
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.body(x) + self.short(x))


class AudioResNet(nn.Module):
    """Raw-waveform 1D ResNet: [N, 1, 16000] -> [N, classes] logits (~300k parameters)."""

    def __init__(self, classes: int):
        super().__init__()
        self.stem = ConvBN(1, 1, 24, 49, stride=4)                  # 16000 -> 4000
        self.stages = nn.Sequential(
            ResBlock(1, 24, 32, 9, 4),                               # -> 1000
            ResBlock(1, 32, 64, 9, 4),                               # -> 250
            ResBlock(1, 64, 128, 9, 4, k2=3),                        # -> 63
            ResBlock(1, 128, 128, 3, 2),                             # -> 32
        )
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.head = nn.Linear(128, classes)

    def forward(self, x):
        return self.head(torch.flatten(self.pool(self.stages(self.stem(x))), 1))


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


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# --------------------------------------------------------------------------- BN folding + export
def fold_bn(model: nn.Module) -> nn.Module:
    """Returns a copy with every (Conv, BatchNorm) pair folded into the conv (BN -> Identity)."""
    model = copy.deepcopy(model).eval()

    def visit(module: nn.Module):
        names = list(module._modules.keys())
        for a, b in zip(names, names[1:]):
            conv, bn = module._modules[a], module._modules[b]
            if isinstance(conv, (nn.Conv1d, nn.Conv2d, nn.Conv3d)) and isinstance(bn, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
                scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
                w = conv.weight.detach() * scale.reshape(-1, *([1] * (conv.weight.dim() - 1)))
                b0 = conv.bias.detach() if conv.bias is not None else torch.zeros_like(bn.running_mean)
                fused = type(conv)(conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride,
                                   padding=conv.padding, dilation=conv.dilation, groups=conv.groups, bias=True)
                fused.weight.data.copy_(w)
                fused.bias.data.copy_((b0 - bn.running_mean) * scale + bn.bias.detach())
                module._modules[a] = fused
                module._modules[b] = nn.Identity()
        for child in module._modules.values():
            if child is not None:
                visit(child)

    visit(model)
    return model


def export_onnx(model: nn.Module, example: torch.Tensor, path: Path, input_name: str = "input") -> None:
    """Folds BN, exports opset 17 with a dynamic batch axis, checks the op set."""
    folded = fold_bn(model).eval()
    with torch.no_grad():
        ref = model.eval()(example)
        got = folded(example)
    assert torch.allclose(ref, got, atol=1e-4, rtol=1e-4), (ref - got).abs().max()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(folded, (example,), str(path), dynamo=False, opset_version=17,
                      input_names=[input_name], output_names=["logits"],
                      dynamic_axes={input_name: {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True)
    m = onnx.load(str(path))
    # The exporter shares equal initializers through Identity nodes: give each its own copy instead.
    inits = {t.name: t for t in m.graph.initializer}
    for n in [n for n in m.graph.node if n.op_type == "Identity" and n.input[0] in inits]:
        copy_ = onnx.TensorProto()
        copy_.CopyFrom(inits[n.input[0]])
        copy_.name = n.output[0]
        m.graph.initializer.append(copy_)
        m.graph.node.remove(n)
    onnx.checker.check_model(m)
    ops = {n.op_type for n in m.graph.node}
    assert ops <= ALLOWED_OPS, f"unexpected ops {ops - ALLOWED_OPS}"
    # Drop the doc strings / producer noise so the file is stable across reruns.
    for n in m.graph.node:
        n.doc_string = ""
    onnx.save(m, str(path))


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


def ort_logits(path: Path, inputs: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return np.concatenate([sess.run(None, {name: inputs[i:i + 64].astype(np.float32)})[0]
                           for i in range(0, len(inputs), 64)])


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
