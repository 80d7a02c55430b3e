"""The raw-waveform 1D ResNet family (the bundled audio model is the "base" preset), BatchNorm
folding and ONNX export (opset 17, a dynamic batch axis, only operators wam's engine runs).

The building blocks are generic in the number of spatial dimensions: Tools/samples/nets.py builds
the bundled image and volume models from them too.
"""
from __future__ import annotations

import copy
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn

from .presets import PRESETS

# What an exported model may contain: wam runs more, but these are all the family needs.
ALLOWED_OPS = {"Conv", "Relu", "Add", "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten", "Gemm"}



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
    """Raw-waveform 1D ResNet: [N, 1, samples] -> [N, classes] logits, any window of MIN_WINDOW
    samples or more (the stem and stages divide the length by 512, then a global average)."""

    def __init__(self, classes: int, widths: tuple[int, ...] = PRESETS["base"]):
        super().__init__()
        w = widths
        self.stem = ConvBN(1, 1, w[0], 49, stride=4)                 # 16000 -> 4000
        self.stages = nn.Sequential(
            ResBlock(1, w[0], w[1], 9, 4),                            # -> 1000
            ResBlock(1, w[1], w[2], 9, 4),                            # -> 250
            ResBlock(1, w[2], w[3], 9, 4, k2=3),                      # -> 63
            ResBlock(1, w[3], w[4], 3, 2),                            # -> 32
        )
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.head = nn.Linear(w[4], classes)

    def forward(self, x):
        return self.head(torch.flatten(self.pool(self.stages(self.stem(x))), 1))


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


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
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of torch.export, which needs onnxscript.
        warnings.simplefilter("ignore", DeprecationWarning)
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


def ort_logits(path: Path, inputs: np.ndarray) -> np.ndarray:
    """The model's outputs from onnxruntime (CPU), 64 examples at a time."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return np.concatenate([sess.run(None, {name: inputs[i:i + 64].astype(np.float32)})[0]
                           for i in range(0, len(inputs), 64)])
