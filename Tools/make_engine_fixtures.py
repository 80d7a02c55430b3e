#!/usr/bin/env python3
"""Writes the fixtures of the inference engine's tests (Tests/ONNXTests/Fixtures).

  models/<name>.onnx + models/<name>.npz   whole models exported from PyTorch, with a batch
                                            `input`, PyTorch's `logits`, `classes` and
                                            `input_grad` (gradient of logits[n, classes[n]]
                                            with respect to input[n]); resnet1d_batchnorm is
                                            another export of resnet1d and shares its .npz
  ops/<case>.onnx + ops.npz                 one-operator graphs; ops.npz holds `<case>.input`
                                            and onnxruntime's `<case>.output`
  malformed/                                files each engine error must be reported for

Seeded and rerunnable: `python Tools/make_engine_fixtures.py` (numpy, torch, onnx, onnxruntime
from Tools/requirements.txt). The output folder is rewritten (its README.md is kept);
`--only-recurrent` writes only the recurrent models (conv_gru, conv_lstm, conv_gru_unidirectional);
`--only-audio` only the audio models (stft_mel_cnn, conv_lstm_filterbank, m5, samplecnn) and the
single STFT/DFT nodes.
"""
import io
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "ONNXTests" / "Fixtures"
warnings.filterwarnings("ignore")


# ---------------------------------------------------------------------------------------------
# Whole models


class BasicBlock1D(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv1d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm1d(cout)
        self.conv2 = nn.Conv1d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm1d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv1d(cin, cout, 1, stride, bias=False), nn.BatchNorm1d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.down is None else self.down(x)))


class ResNet1D(nn.Module):
    """Raw-waveform classifier for 1 s at 16 kHz: 336k parameters, 150 MFLOP per example."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv1d(1, 32, 80, 8, 36, bias=False), nn.BatchNorm1d(32), nn.ReLU())
        self.layers = nn.Sequential(BasicBlock1D(32, 32, 1), BasicBlock1D(32, 64, 4), BasicBlock1D(64, 64, 1),
                                    BasicBlock1D(64, 128, 4), BasicBlock1D(128, 128, 1), BasicBlock1D(128, 128, 1))
        self.fc = nn.Linear(128, classes)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool1d(x, 1), 1))


class CNN2D(nn.Module):
    """Spectrogram-style 2D CNN: reflect padding, MaxPool, depthwise + pointwise convolution,
    AveragePool (ceil mode, padding excluded), and a batch-size-dependent flatten."""

    def __init__(self, classes=6):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3)
        self.bn = nn.BatchNorm2d(8)
        self.depthwise = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.pointwise = nn.Conv2d(8, 16, 1)
        self.fc = nn.Linear(16 * 6 * 7, classes)

    def forward(self, x):
        x = F.pad(x, (1, 1, 1, 1), mode="reflect")
        x = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
        x = F.gelu(self.pointwise(F.leaky_relu(self.depthwise(x), 0.1)))
        x = F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
        return self.fc(x.reshape(x.size(0), -1))


class CNN3D(nn.Module):
    """Small volumetric classifier."""

    def __init__(self, classes=5):
        super().__init__()
        self.conv1 = nn.Conv3d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv3d(4, 8, 3, stride=2, padding=1)
        self.fc = nn.Linear(8, classes)

    def forward(self, x):
        x = F.max_pool3d(torch.tanh(self.conv1(x)), 2)
        x = torch.sigmoid(self.conv2(x)) * 2 - 0.5
        return F.log_softmax(self.fc(x.mean(dim=(2, 3, 4))), dim=1)


class ConvRecurrent(nn.Module):
    """Raw waveform -> strided conv -> a recurrent stack over time -> mean over time -> classes:
    the shape of small keyword and VAD models (torch.onnx exports GRU/LSTM at layout 0 with
    transposes around them, and PyTorch's GRU with linear_before_reset = 1)."""

    def __init__(self, cell, classes=5, bidirectional=True, layers=2):
        super().__init__()
        self.conv = nn.Conv1d(1, 8, 16, stride=8)
        self.rnn = cell(8, 12, num_layers=layers, bidirectional=bidirectional)
        self.fc = nn.Linear(12 * (2 if bidirectional else 1), classes)

    def forward(self, x):
        x = torch.relu(self.conv(x)).permute(2, 0, 1)  # [time, batch, channels]
        y = self.rnn(x)[0]
        return self.fc(y.mean(dim=0))


class MelCNN(nn.Module):
    """torch.stft (Hann window, 25 ms frames, 10 ms hop, centred with reflect padding), power,
    a mel filter bank as a matrix product, log, then a small 2D CNN: the usual spectrogram
    front end (exported by the dynamo exporter, which writes STFT and ReduceL2)."""

    def __init__(self, classes=4, mels=24):
        super().__init__()
        self.register_buffer("window", torch.hann_window(400))
        self.register_buffer("mel", torch.rand(201, mels) * (torch.rand(201, mels) > 0.7))
        self.conv1 = nn.Conv2d(1, 6, 3, padding=1)
        self.conv2 = nn.Conv2d(6, 8, 3, stride=2)
        self.fc = nn.Linear(8, classes)

    def forward(self, x):
        spectrum = torch.stft(x[:, 0], n_fft=400, hop_length=160, window=self.window, center=True, return_complex=True)
        power = spectrum.abs().pow(2).transpose(1, 2)  # [batch, frames, bins]
        logmel = torch.log(power @ self.mel + 1e-4).unsqueeze(1)
        x = F.relu(self.conv2(F.relu(self.conv1(logmel))))
        return self.fc(x.mean(dim=(2, 3)))


class ConvLSTMFilterBank(nn.Module):
    """Reflect padding, a learned filter bank rectified by abs and compressed by log, SELU, then
    an LSTM over time: the shape of small on-device sound models."""

    def __init__(self, classes=3):
        super().__init__()
        self.bank = nn.Conv1d(1, 10, 64, stride=32)
        self.mix = nn.Conv1d(10, 12, 3)
        self.rnn = nn.LSTM(12, 16)
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        x = torch.log(torch.abs(self.bank(F.pad(x, (32, 32), mode="reflect"))) + 0.01)
        x = F.selu(self.mix(x)).permute(2, 0, 1)
        return self.fc(self.rnn(x)[0][-1])


class M5(nn.Module):
    """M5 (Dai et al. 2017): a raw-waveform CNN with a wide strided first layer."""

    def __init__(self, classes=6):
        super().__init__()
        widths = [1, 32, 32, 64, 64]
        layers = []
        for index in range(4):
            kernel, stride = (80, 4) if index == 0 else (3, 1)
            layers += [nn.Conv1d(widths[index], widths[index + 1], kernel, stride=stride), nn.BatchNorm1d(widths[index + 1]),
                       nn.ReLU(), nn.MaxPool1d(4)]
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        return self.fc(self.features(x).mean(dim=2))


class SampleCNN(nn.Module):
    """SampleCNN (Lee et al. 2017): sample-level filters of size 3, stride-3 pooling all the way."""

    def __init__(self, classes=5):
        super().__init__()
        layers, previous = [nn.Conv1d(1, 16, 3, stride=3), nn.BatchNorm1d(16), nn.ReLU()], 16
        for width in [16, 24, 24, 32, 32, 48, 48]:
            layers += [nn.Conv1d(previous, width, 3, padding=1), nn.BatchNorm1d(width), nn.ReLU(), nn.MaxPool1d(3)]
            previous = width
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(48, classes)

    def forward(self, x):
        return self.fc(self.features(x).amax(dim=2))


def randomize_batch_norms(model, generator):
    """Non-trivial running statistics and affine parameters, so BatchNorm matters."""
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            count = module.num_features
            module.running_mean.copy_(torch.randn(count, generator=generator) * 0.2)
            module.running_var.copy_(torch.rand(count, generator=generator) * 0.5 + 0.5)
            module.weight.data.copy_(torch.rand(count, generator=generator) + 0.5)
            module.bias.data.copy_(torch.randn(count, generator=generator) * 0.1)


def export(model, example, path, dynamo=False, **options):
    buffer = io.BytesIO()
    if dynamo:
        torch.onnx.export(model, (example,), buffer, input_names=["input"], output_names=["logits"], dynamo=True,
                          dynamic_shapes={"x": {0: torch.export.Dim("batch", min=1, max=1024)}}, **options)
    else:
        torch.onnx.export(model, (example,), buffer, input_names=["input"], output_names=["logits"], dynamo=False,
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, **options)
    onnx_model = onnx.load_from_string(buffer.getvalue())
    for node in onnx_model.graph.node:  # Stack traces name this machine's paths and line numbers.
        del node.metadata_props[:]
        node.doc_string = ""
    onnx.checker.check_model(onnx_model)
    onnx.save(onnx_model, path)
    return onnx_model


def write_model_fixture(name, model, batch, classes, dynamo=False, data=True, **options):
    """Exports `model`; writes its reference data unless `data` is False (another export of the
    same network and batch already holds it)."""
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    path = OUT / "models" / f"{name}.onnx"
    onnx_model = export(model, batch, path, dynamo=dynamo, **options)
    inputs = batch.clone().requires_grad_(True)
    logits = model(inputs)
    logits.gather(1, torch.tensor(classes)[:, None]).sum().backward()
    reference = ort.InferenceSession(str(path)).run(None, {onnx_model.graph.input[0].name: batch.numpy()})[0]
    assert np.allclose(reference, logits.detach().numpy(), rtol=1e-4, atol=1e-4), f"{name}: onnxruntime disagrees with PyTorch"
    if data:
        np.savez(OUT / "models" / f"{name}.npz", input=batch.numpy(), logits=logits.detach().numpy(),
                 classes=np.array(classes, dtype=np.int64), input_grad=inputs.grad.numpy())
    operators = sorted({node.op_type for node in onnx_model.graph.node})
    print(f"models/{name}: {path.stat().st_size // 1024} KiB, opset {onnx_model.opset_import[0].version}, ops {operators}")


def make_models():
    generator = torch.Generator().manual_seed(1)
    torch.manual_seed(1)
    resnet = ResNet1D()
    randomize_batch_norms(resnet, generator)
    waveform = torch.randn(2, 1, 16000, generator=generator) * 0.3
    write_model_fixture("resnet1d", resnet, waveform, [3, 7], opset_version=17)
    write_model_fixture("resnet1d_batchnorm", resnet, waveform, [3, 7], data=False, opset_version=17,
                        do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)

    torch.manual_seed(2)
    cnn2d = CNN2D()
    randomize_batch_norms(cnn2d, generator)
    write_model_fixture("cnn2d", cnn2d, torch.randn(3, 1, 20, 24, generator=generator), [0, 5, 2], opset_version=13)

    torch.manual_seed(3)
    write_model_fixture("cnn3d", CNN3D(), torch.randn(2, 1, 8, 10, 12, generator=generator), [4, 1], dynamo=True,
                        opset_version=18)


def make_audio_models():
    generator = torch.Generator().manual_seed(11)
    torch.manual_seed(11)
    write_model_fixture("stft_mel_cnn", MelCNN(), torch.randn(2, 1, 4000, generator=generator) * 0.3, [1, 3], dynamo=True,
                        opset_version=18)
    torch.manual_seed(12)
    write_model_fixture("conv_lstm_filterbank", ConvLSTMFilterBank(), torch.randn(2, 1, 2000, generator=generator) * 0.3, [0, 2],
                        opset_version=17)
    torch.manual_seed(13)
    m5 = M5()
    randomize_batch_norms(m5, generator)
    write_model_fixture("m5", m5, torch.randn(2, 1, 8000, generator=generator) * 0.3, [5, 1], opset_version=17,
                        do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
    torch.manual_seed(14)
    samplecnn = SampleCNN()
    randomize_batch_norms(samplecnn, generator)
    write_model_fixture("samplecnn", samplecnn, torch.randn(2, 1, 6561, generator=generator) * 0.3, [2, 4], opset_version=17)


def make_recurrent_models():
    generator = torch.Generator().manual_seed(5)
    waveform = torch.randn(3, 1, 400, generator=generator) * 0.5
    torch.manual_seed(5)
    write_model_fixture("conv_gru", ConvRecurrent(nn.GRU), waveform, [1, 4, 0], opset_version=17)
    torch.manual_seed(6)
    write_model_fixture("conv_lstm", ConvRecurrent(nn.LSTM), waveform, [2, 0, 3], opset_version=17)
    torch.manual_seed(7)
    write_model_fixture("conv_gru_unidirectional", ConvRecurrent(nn.GRU, bidirectional=False, layers=1), waveform, [3, 3, 1],
                        opset_version=14)
    make_recurrent_nodes()


def make_spectral_nodes():
    """Single STFT and DFT nodes (opset 17) in the variants exporters do not all write (complex
    input, two-sided, no window, inverse), against onnxruntime: ops/<case>.onnx with `<case>.input`
    and `<case>.output` in spectral_nodes.npz."""
    rng = np.random.default_rng(17)
    arrays = {}

    def case(name, node, x, initializers):
        graph = helper.make_graph(
            [node], name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
            [numpy_helper.from_array(value, key) for key, value in initializers.items()])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        y = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
        model.graph.output[0].CopyFrom(helper.make_tensor_value_info("y", TensorProto.FLOAT, list(y.shape)))
        # Not full_check: onnx 1.23's STFT shape inference ignores onesided when frame_length is absent.
        onnx.checker.check_model(model)
        onnx.save(model, OUT / "ops" / f"{name}.onnx")
        arrays[f"{name}.input"], arrays[f"{name}.output"] = x, y.astype(np.float32)

    step, length = np.array(3, np.int64), np.array(8, np.int64)
    window = np.hanning(8).astype(np.float32)
    real, complex_ = rng.standard_normal((2, 30, 1)).astype(np.float32), rng.standard_normal((2, 30, 2)).astype(np.float32)
    case("stft_window_onesided", helper.make_node("STFT", ["x", "step", "window"], ["y"]), real, {"step": step, "window": window})
    case("stft_length_no_window", helper.make_node("STFT", ["x", "step", "", "length"], ["y"]), real,
         {"step": step, "length": length})
    case("stft_complex", helper.make_node("STFT", ["x", "step", "window", "length"], ["y"], onesided=0), complex_,
         {"step": step, "window": window, "length": length})
    signal = rng.standard_normal((2, 3, 12, 1)).astype(np.float32)
    case("dft_real_onesided", helper.make_node("DFT", ["x"], ["y"], axis=2, onesided=1), signal, {})
    case("dft_complex_inverse", helper.make_node("DFT", ["x"], ["y"], axis=1, inverse=1),
         rng.standard_normal((2, 10, 2)).astype(np.float32), {})
    case("dft_real_twosided", helper.make_node("DFT", ["x"], ["y"], axis=-2), rng.standard_normal((3, 9, 1)).astype(np.float32), {})
    np.savez(OUT / "spectral_nodes.npz", **arrays)


def make_recurrent_nodes():
    """Single GRU/LSTM nodes in the variants PyTorch does not export (ONNX's default
    linear_before_reset = 0, reverse direction, initial states given, layout 1), against onnxruntime
    (layout 1: the ONNX reference evaluator):
    ops/<case>.onnx with `<case>.input` and `<case>.output` in recurrent_nodes.npz."""
    rng = np.random.default_rng(11)
    steps, batch, size, hidden = 6, 2, 5, 4
    arrays = {}

    def case(name, op, gates, direction, extra_inputs, layout=0, **attributes):
        directions = 2 if direction == "bidirectional" else 1
        initializers = {
            "W": rng.standard_normal((directions, gates * hidden, size)).astype(np.float32) * 0.5,
            "R": rng.standard_normal((directions, gates * hidden, hidden)).astype(np.float32) * 0.5,
            "B": rng.standard_normal((directions, 2 * gates * hidden)).astype(np.float32) * 0.2,
        }
        inputs = ["x_t", "W", "R", "B", ""]
        for extra in extra_inputs:
            shape = (batch, directions, hidden) if layout else (directions, batch, hidden)
            initializers[extra] = rng.standard_normal(shape).astype(np.float32) * 0.5
            inputs.append(extra)
        outputs = ["y", "y_h"] + (["y_c"] if op == "LSTM" else [])
        if layout:
            attributes["layout"] = 1
        node = helper.make_node(op, inputs, outputs, hidden_size=hidden, direction=direction, **attributes)
        # The graph reads x as [batch, time, input] (the engine's first axis is the batch, whose items
        # are independent) and writes Y, Y_h (and Y_c) flattened into one vector per batch item; the
        # batch is fixed at 2, the size the initial states were made for. Layout 1 reads and writes
        # batch first already.
        into = helper.make_node("Transpose", ["x"], ["x_t"], perm=[0, 1, 2] if layout else [1, 0, 2])
        flatten = [helper.make_node("Transpose", [name_], [name_ + "_t"],
                                    perm=([0, 1, 2, 3] if name_ == "y" else [0, 1, 2]) if layout
                                    else ([2, 0, 1, 3] if name_ == "y" else [1, 0, 2]))
                   for name_ in outputs]
        reshape = [helper.make_node("Reshape", [name_ + "_t", "flat"], [name_ + "_f"]) for name_ in outputs]
        concat = helper.make_node("Concat", [name_ + "_f" for name_ in outputs], ["out"], axis=1)
        x = rng.standard_normal((batch, steps, size)).astype(np.float32)
        graph = helper.make_graph(
            [into, node] + flatten + reshape + [concat], name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
            [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)],
            [numpy_helper.from_array(value, key) for key, value in initializers.items()]
            + [numpy_helper.from_array(np.array([batch, -1], dtype=np.int64), "flat")])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
        model.ir_version = 8
        # onnxruntime refuses layout 1 ("batchwise recurrent operations are not supported"): the
        # ONNX reference evaluator (checked against onnxruntime's layout 0, transposed) stands in.
        if layout:
            y = ReferenceEvaluator(model).run(None, {"x": x})[0]
        else:
            y = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
        model.graph.output[0].CopyFrom(helper.make_tensor_value_info("out", TensorProto.FLOAT, list(y.shape)))
        onnx.checker.check_model(model, full_check=True)
        onnx.save(model, OUT / "ops" / f"{name}.onnx")
        arrays[f"{name}.input"], arrays[f"{name}.output"] = x, y.astype(np.float32)

    case("gru_reset_after_reverse", "GRU", 3, "reverse", ["h0"])
    case("gru_reset_after_bidirectional", "GRU", 3, "bidirectional", [])
    case("gru_linear_before_reset_initial", "GRU", 3, "forward", ["h0"], linear_before_reset=1)
    case("lstm_reverse_initial", "LSTM", 4, "reverse", ["h0", "c0"])
    case("lstm_bidirectional", "LSTM", 4, "bidirectional", [])
    case("gru_layout_batch_first", "GRU", 3, "bidirectional", ["h0"], layout=1, linear_before_reset=1)
    case("lstm_layout_batch_first", "LSTM", 4, "reverse", ["h0", "c0"], layout=1)
    np.savez(OUT / "recurrent_nodes.npz", **arrays)
    print(f"recurrent nodes: {sorted(name.split('.')[0] for name in arrays if name.endswith('.input'))}")


# ---------------------------------------------------------------------------------------------
# One-operator graphs, checked against onnxruntime


class OpCases:
    """Collects small graphs with one float input `x` and one output `y`."""

    def __init__(self):
        self.rng = np.random.default_rng(7)
        self.arrays = {}

    def constant(self, *shape, positive=False, scale=1.0):
        values = self.rng.standard_normal(shape).astype(np.float32) * scale
        return np.abs(values) + 0.5 if positive else values

    def add(self, name, nodes, input_shape, opset=17, initializers=(), positive=False, away_from=()):
        """`nodes` read `x` and write `y`; `away_from` lists kinks the input keeps clear of."""
        x = self.constant(*input_shape, positive=positive)
        for kink in away_from:
            close = np.abs(x - kink) < 0.05
            x[close] += 0.1 * np.sign(x[close] - kink + 1e-6)
        graph = helper.make_graph(
            nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(input_shape))],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
            [numpy_helper.from_array(np.asarray(value), key) for key, value in initializers])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        model.ir_version = 8
        y = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
        model.graph.output[0].CopyFrom(helper.make_tensor_value_info("y", TensorProto.FLOAT, list(y.shape)))
        onnx.checker.check_model(model, full_check=True)
        path = OUT / "ops" / f"{name}.onnx"
        onnx.save(model, path)
        self.arrays[f"{name}.input"] = x
        self.arrays[f"{name}.output"] = y.astype(np.float32)


def node(op, inputs, outputs=("y",), **attributes):
    return helper.make_node(op, list(inputs), list(outputs), **attributes)


def make_op_cases():
    c = OpCases()
    w = c.constant
    i64 = lambda *values: np.array(values, dtype=np.int64)

    # Convolutions.
    c.add("conv1d_asymmetric_pads", [node("Conv", ["x", "W", "B"], strides=[2], pads=[1, 2])], (2, 3, 20),
          initializers=[("W", w(4, 3, 5)), ("B", w(4))])
    c.add("conv1d_dilated_groups", [node("Conv", ["x", "W"], group=2, dilations=[2], pads=[2, 2])], (2, 4, 25),
          initializers=[("W", w(6, 2, 3))])
    c.add("conv2d_strides_pads", [node("Conv", ["x", "W", "B"], strides=[2, 1], pads=[1, 0, 2, 1])], (2, 3, 9, 11),
          initializers=[("W", w(5, 3, 3, 2)), ("B", w(5))])
    c.add("conv2d_same_upper", [node("Conv", ["x", "W"], strides=[2, 2], auto_pad="SAME_UPPER")], (1, 2, 9, 10),
          initializers=[("W", w(3, 2, 4, 4))])
    c.add("conv2d_same_lower", [node("Conv", ["x", "W"], strides=[2, 3], auto_pad="SAME_LOWER")], (1, 2, 9, 10),
          initializers=[("W", w(3, 2, 4, 3))])
    c.add("conv2d_valid", [node("Conv", ["x", "W"], auto_pad="VALID", kernel_shape=[3, 3])], (1, 2, 6, 7),
          initializers=[("W", w(4, 2, 3, 3))])
    c.add("conv2d_depthwise", [node("Conv", ["x", "W", "B"], group=4, pads=[1, 1, 1, 1], strides=[1, 2])], (2, 4, 7, 9),
          initializers=[("W", w(8, 1, 3, 3)), ("B", w(8))])
    c.add("conv2d_pointwise", [node("Conv", ["x", "W", "B"])], (2, 6, 5, 4), initializers=[("W", w(3, 6, 1, 1)), ("B", w(3))])
    c.add("conv3d", [node("Conv", ["x", "W", "B"], strides=[1, 2, 1], pads=[1, 1, 0, 1, 0, 1], dilations=[1, 1, 2])],
          (1, 2, 5, 6, 7), initializers=[("W", w(3, 2, 3, 3, 2)), ("B", w(3))])
    c.add("conv_transpose1d", [node("ConvTranspose", ["x", "W", "B"], strides=[2], pads=[1, 1], output_padding=[1])],
          (2, 3, 7), initializers=[("W", w(3, 4, 4)), ("B", w(4))])
    c.add("conv_transpose2d_groups", [node("ConvTranspose", ["x", "W"], strides=[2, 2], group=2, output_shape=[10, 11])],
          (1, 4, 5, 5), initializers=[("W", w(4, 3, 3, 3))])
    c.add("conv_transpose2d_same_upper", [node("ConvTranspose", ["x", "W"], strides=[2, 2], auto_pad="SAME_UPPER")],
          (1, 2, 4, 5), initializers=[("W", w(2, 3, 3, 3))])

    # Normalization and activations.
    c.add("batchnorm", [node("BatchNormalization", ["x", "s", "b", "m", "v"], epsilon=1e-3)], (2, 3, 4, 5),
          initializers=[("s", w(3)), ("b", w(3)), ("m", w(3)), ("v", w(3, positive=True))])
    c.add("relu", [node("Relu", ["x"])], (2, 3, 8), away_from=[0])
    c.add("leaky_relu", [node("LeakyRelu", ["x"], alpha=0.2)], (2, 3, 8), away_from=[0])
    c.add("elu", [node("Elu", ["x"], alpha=0.7)], (2, 3, 8), away_from=[0])
    c.add("sigmoid", [node("Sigmoid", ["x"])], (2, 3, 8))
    c.add("tanh", [node("Tanh", ["x"])], (2, 3, 8))
    c.add("softplus", [node("Softplus", ["x"])], (2, 3, 8))
    c.add("clip", [node("Clip", ["x", "lo", "hi"])], (2, 3, 8), initializers=[("lo", np.float32(-0.5)), ("hi", np.float32(0.8))],
          away_from=[-0.5, 0.8])
    c.add("clip_min_only", [node("Clip", ["x", "lo"])], (2, 3, 8), initializers=[("lo", np.float32(-0.2))], away_from=[-0.2])
    c.add("gelu", [node("Gelu", ["x"])], (2, 3, 8), opset=20)
    c.add("gelu_tanh", [node("Gelu", ["x"], approximate="tanh")], (2, 3, 8), opset=20)
    c.add("gelu_erf_pattern", [node("Div", ["x", "r2"], ["d"]), node("Erf", ["d"], ["e"]), node("Add", ["e", "one"], ["a"]),
                               node("Mul", ["x", "a"], ["m"]), node("Mul", ["m", "half"])], (2, 3, 8),
          initializers=[("r2", np.float32(np.sqrt(2))), ("one", np.float32(1)), ("half", np.float32(0.5))])
    c.add("neg", [node("Neg", ["x"])], (2, 3, 8))
    c.add("sqrt", [node("Sqrt", ["x"])], (2, 3, 8), positive=True)
    c.add("exp", [node("Exp", ["x"])], (2, 3, 8))
    c.add("log", [node("Log", ["x"])], (2, 3, 8), positive=True)
    c.add("pow_scalar", [node("Pow", ["x", "p"])], (2, 3, 8), initializers=[("p", np.float32(3))])
    c.add("pow_tensor", [node("Pow", ["x", "p"])], (2, 3, 4), positive=True, initializers=[("p", w(4, scale=1.5))])

    # Broadcasting arithmetic.
    c.add("add_broadcast", [node("Add", ["x", "c"])], (2, 3, 4, 5), initializers=[("c", w(4, 1))])
    c.add("sub_constant_first", [node("Sub", ["c", "x"])], (2, 3, 4, 5), initializers=[("c", w(5))])
    c.add("mul_scalar", [node("Mul", ["x", "c"])], (2, 3, 4), initializers=[("c", np.float32(-1.7))])
    c.add("div_constant_first", [node("Div", ["c", "x"])], (2, 3, 4), positive=True, initializers=[("c", w(3, 1))])
    c.add("add_runtime_broadcast", [node("ReduceMean", ["x"], ["m"], axes=[1], keepdims=1), node("Add", ["x", "m"])],
          (2, 3, 4, 5), opset=13)
    c.add("mul_runtime_broadcast", [node("ReduceSum", ["x", "ax"], ["s"], keepdims=1), node("Mul", ["s", "x"])],
          (2, 3, 4), opset=13, initializers=[("ax", i64(2))])
    c.add("div_runtime", [node("Transpose", ["x"], ["t"], perm=[0, 2, 1]), node("Div", ["t", "x"])], (2, 3, 3), positive=True)

    # Matrix products.
    c.add("matmul_constant", [node("MatMul", ["x", "W"])], (2, 3, 4), initializers=[("W", w(4, 5))])
    c.add("matmul_runtime_batched", [node("Transpose", ["x"], ["t"], perm=[0, 2, 1]), node("MatMul", ["x", "t"])], (2, 3, 4))
    c.add("matmul_vector", [node("MatMul", ["x", "v"])], (2, 4), initializers=[("v", w(4))])
    c.add("gemm_transb_bias", [node("Gemm", ["x", "B", "C"], transB=1, alpha=0.5, beta=2.0)], (3, 4),
          initializers=[("B", w(5, 4)), ("C", w(5))])
    c.add("gemm_transa", [node("Transpose", ["x"], ["t"]), node("Gemm", ["t", "B"], transA=1)], (3, 4),
          initializers=[("B", w(4, 2))])

    # Pooling and reductions.
    c.add("maxpool1d", [node("MaxPool", ["x"], kernel_shape=[3], strides=[2], pads=[1, 1])], (2, 3, 11))
    c.add("maxpool2d_ceil", [node("MaxPool", ["x"], kernel_shape=[3, 2], strides=[2, 2], ceil_mode=1)], (1, 2, 8, 9))
    c.add("maxpool2d_dilated", [node("MaxPool", ["x"], kernel_shape=[2, 2], dilations=[2, 1], pads=[1, 0, 1, 1])], (1, 2, 7, 6))
    c.add("maxpool3d", [node("MaxPool", ["x"], kernel_shape=[2, 2, 2], strides=[2, 2, 2])], (1, 2, 4, 5, 6))
    c.add("avgpool2d_include_pad", [node("AveragePool", ["x"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                                         count_include_pad=1)], (1, 2, 7, 8))
    c.add("avgpool2d_exclude_pad", [node("AveragePool", ["x"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 1, 2])],
          (1, 2, 7, 8))
    c.add("avgpool2d_ceil_include_pad", [node("AveragePool", ["x"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                                              ceil_mode=1, count_include_pad=1)], (1, 2, 8, 8))
    c.add("avgpool2d_ceil_exclude_pad", [node("AveragePool", ["x"], kernel_shape=[2, 3], strides=[2, 2], ceil_mode=1)],
          (1, 2, 7, 8))
    c.add("avgpool1d", [node("AveragePool", ["x"], kernel_shape=[4], strides=[3], pads=[2, 1])], (2, 2, 13))
    c.add("global_average_pool", [node("GlobalAveragePool", ["x"])], (2, 3, 4, 5))
    c.add("global_max_pool", [node("GlobalMaxPool", ["x"])], (2, 3, 4, 5))
    c.add("reduce_mean_opset18", [node("ReduceMean", ["x", "ax"], keepdims=0)], (2, 3, 4, 5), opset=18,
          initializers=[("ax", i64(1, 3))])
    c.add("reduce_mean_opset11", [node("ReduceMean", ["x"], axes=[-1], keepdims=1)], (2, 3, 4), opset=11)
    c.add("reduce_sum_all", [node("ReduceSum", ["x"], keepdims=1)], (1, 5, 3), opset=13)
    c.add("reduce_max", [node("ReduceMax", ["x"], axes=[2], keepdims=0)], (2, 3, 5), opset=13)

    # Layout.
    c.add("flatten_axis2", [node("Flatten", ["x"], ["f"], axis=2), node("Reshape", ["f", "s"])], (2, 3, 4, 5),
          initializers=[("s", i64(2, -1))])
    c.add("reshape_zero_and_infer", [node("Reshape", ["x", "s"])], (2, 3, 4, 5), initializers=[("s", i64(0, -1, 10))])
    c.add("squeeze_unsqueeze", [node("Unsqueeze", ["x", "a"], ["u"]), node("Squeeze", ["u", "b"], ["s"]),
                                node("Relu", ["s"])], (2, 3, 4), opset=13,
          initializers=[("a", i64(1, -1)), ("b", i64(-1))], away_from=[0])
    c.add("unsqueeze_opset11", [node("Unsqueeze", ["x"], ["u"], axes=[0]), node("Squeeze", ["u"], axes=[0])], (2, 3), opset=11)
    c.add("transpose", [node("Transpose", ["x"], perm=[0, 3, 1, 2])], (2, 3, 4, 5))
    c.add("concat", [node("Mul", ["x", "two"], ["d"]), node("Concat", ["x", "c", "d"], axis=1)], (2, 3, 4),
          initializers=[("two", np.float32(2)), ("c", w(2, 2, 4))])
    c.add("slice_negative_steps", [node("Slice", ["x", "st", "en", "ax", "sp"])], (2, 6, 7),
          initializers=[("st", i64(-1, 1)), ("en", i64(-100, 6)), ("ax", i64(2, 1)), ("sp", i64(-2, 2))])
    c.add("slice_clamped", [node("Slice", ["x", "st", "en"])], (2, 6, 7),
          initializers=[("st", i64(0, 1, -3)), ("en", i64(9223372036854775807, 4, 100))])
    c.add("pad_constant", [node("Pad", ["x", "p", "v"])], (2, 3, 4), initializers=[("p", i64(0, 1, 2, 0, 0, 1)), ("v", np.float32(0.5))])
    c.add("pad_reflect", [node("Pad", ["x", "p"], mode="reflect")], (2, 3, 6), initializers=[("p", i64(0, 0, 3, 0, 0, 2))])
    c.add("pad_edge", [node("Pad", ["x", "p"], mode="edge")], (2, 3, 4), initializers=[("p", i64(0, 1, 2, 0, 2, 1))])
    c.add("pad_axes_opset18", [node("Pad", ["x", "p", "", "a"], mode="reflect")], (2, 3, 6), opset=18,
          initializers=[("p", i64(2, 1)), ("a", i64(-1))])
    c.add("pad_negative_crop", [node("Pad", ["x", "p"])], (2, 3, 6), initializers=[("p", i64(0, 0, -1, 0, 0, 2))])
    c.add("expand", [node("Expand", ["x", "s"])], (2, 1, 4), initializers=[("s", i64(3, 1))])
    c.add("tile", [node("Tile", ["x", "r"])], (2, 3, 2), initializers=[("r", i64(1, 2, 3))])
    c.add("gather_constant_indices", [node("Gather", ["x", "i"], axis=1)], (2, 5, 3), initializers=[("i", i64(4, 0, -1, 2))])
    c.add("softmax", [node("Softmax", ["x"], axis=1)], (2, 3, 4), opset=13)
    c.add("log_softmax", [node("LogSoftmax", ["x"])], (2, 3, 4), opset=13)
    c.add("softmax_opset11_coerced", [node("Softmax", ["x"], axis=1)], (2, 3, 4), opset=11)
    c.add("dropout_identity", [node("Dropout", ["x"], ["d"]), node("Identity", ["d"])], (2, 3), opset=13)
    c.add("constant_node", [node("Constant", [], ["c"], value=numpy_helper.from_array(w(3, 1), "c")), node("Add", ["x", "c"])],
          (2, 3, 4))

    # Shape computations folded at load time.
    c.add("shape_subgraph_reshape", [
        node("Shape", ["x"], ["shape"]), node("Gather", ["shape", "zero"], ["n"], axis=0),
        node("Unsqueeze", ["n", "axes0"], ["n1"]), node("Concat", ["n1", "minus_one"], ["target"], axis=0),
        node("Reshape", ["x", "target"])], (2, 3, 4), opset=13,
        initializers=[("zero", np.array(0, dtype=np.int64)), ("axes0", i64(0)), ("minus_one", i64(-1))])
    c.add("shape_subgraph_expand", [
        node("Shape", ["x"], ["shape"], start=1), node("ConstantOfShape", ["two"], ["ones"],
                                                        value=numpy_helper.from_array(np.array([1], dtype=np.int64))),
        node("Cast", ["shape"], ["f"], to=TensorProto.FLOAT), node("Cast", ["f"], ["i"], to=TensorProto.INT64),
        node("Range", ["start", "limit", "delta"], ["r"]), node("Mul", ["r", "zero"], ["z"]), node("Add", ["i", "z"], ["dims"]),
        node("Concat", ["ones", "dims"], ["target"], axis=0), node("Equal", ["target", "one"], ["eq"]),
        node("Where", ["eq", "target", "target"], ["same"]), node("Expand", ["x", "same"])], (3, 1), opset=15,
        initializers=[("two", i64(1)), ("start", np.array(0, dtype=np.int64)), ("limit", np.array(1, dtype=np.int64)),
                      ("delta", np.array(1, dtype=np.int64)), ("zero", np.array(0, dtype=np.int64)),
                      ("one", np.array(1, dtype=np.int64))])

    np.savez(OUT / "ops.npz", **c.arrays)
    print(f"ops: {len(c.arrays) // 2} cases")


# ---------------------------------------------------------------------------------------------
# Malformed inputs


def tiny_model(nodes, inputs, output_shape, initializers=(), opset=17):
    graph = helper.make_graph(nodes, "tiny", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, output_shape)],
                              list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def make_malformed():
    folder = OUT / "malformed"
    x = lambda shape, kind=TensorProto.FLOAT: helper.make_tensor_value_info("x", kind, shape)
    weights = numpy_helper.from_array(np.ones((2, 3), dtype=np.float32), "W")

    valid = (OUT / "models" / "cnn2d.onnx").read_bytes()
    (folder / "truncated.onnx").write_bytes(valid[: len(valid) // 2])
    (folder / "not_onnx.onnx").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt this is a sound file, not a model\n" * 4)
    onnx.save(tiny_model([node("MatMul", ["x", "W"], ["h"]), node("TopK", ["h", "k"], ["y", "idx"])], [x(["N", 2])], ["N", 1],
                         [weights, numpy_helper.from_array(np.array([1], dtype=np.int64), "k")]), folder / "unsupported_op.onnx")
    onnx.save(tiny_model([node("Cast", ["x"], ["y"], to=TensorProto.FLOAT)], [x(["N", 3], TensorProto.DOUBLE)], ["N", 3]),
              folder / "float64_input.onnx")
    onnx.save(tiny_model([node("Cast", ["x"], ["h"], to=TensorProto.INT64), node("Cast", ["h"], ["y"], to=TensorProto.FLOAT)],
                         [x(["N", 3])], ["N", 3]), folder / "int64_intermediate.onnx")
    onnx.save(tiny_model([node("Relu", ["x"], ["y"])], [x(["N", 1, "T"])], ["N", 1, "T"]), folder / "dynamic_length.onnx")
    onnx.save(tiny_model([node("ReduceMax", ["x"], ["m"], axes=[0, 1], keepdims=0), node("Cast", ["m"], ["s"], to=TensorProto.INT64),
                          node("Unsqueeze", ["s"], ["rows"], axes=[0]), node("Concat", ["rows", "minus_one"], ["shape"], axis=0),
                          node("Reshape", ["x", "shape"], ["y"])],
                         [x([1, 4])], [4, 1], [numpy_helper.from_array(np.array([-1], dtype=np.int64), "minus_one")], opset=11),
              folder / "value_dependent_shape.onnx")
    onnx.save(tiny_model([node("MatMul", ["x", "W"], ["y"])], [x(["N", 2])], ["N", 3], [weights], opset=9),
              folder / "old_opset.onnx")
    external = tiny_model([node("MatMul", ["x", "W"], ["y"])], [x(["N", 2])], ["N", 3], [weights])
    onnx.save(external, folder / "external_missing.onnx", save_as_external_data=True, all_tensors_to_one_file=True,
              location="external_missing.weights", size_threshold=0)
    os.remove(folder / "external_missing.weights")
    external_ok = tiny_model([node("MatMul", ["x", "W"], ["y"])], [x(["N", 2])], ["N", 3],
                             [numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), "W")])
    onnx.save(external_ok, folder / "external_present.onnx", save_as_external_data=True, all_tensors_to_one_file=True,
              location="external_present.weights", size_threshold=0)
    print(f"malformed: {sorted(p.name for p in folder.iterdir())}")


def main():
    if "--only-recurrent" in os.sys.argv:  # adds the recurrent models without rewriting the rest
        torch.manual_seed(0)
        make_recurrent_models()
        return
    if "--only-audio" in os.sys.argv:  # adds the STFT, filter-bank LSTM, M5 and SampleCNN models
        make_audio_models()
        make_spectral_nodes()
        return
    if OUT.exists():
        for child in OUT.iterdir():
            if child.name not in (".keep", "README.md", "silero"):  # silero/: Tools/make_silero_fixtures.py
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    for folder in ["models", "ops", "malformed"]:
        (OUT / folder).mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    make_models()
    make_recurrent_models()
    make_audio_models()
    make_spectral_nodes()
    make_op_cases()
    make_malformed()
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"total {total / 1e6:.2f} MB in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
