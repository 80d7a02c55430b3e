#!/usr/bin/env python3
"""Bundles silero-vad (MIT) and writes the fixtures that check the engine against it.

silero-vad is the most widely deployed raw-audio model on PyPI: a voice-activity detector with
an STFT (as a convolution), a conv encoder, an LSTM carried from call to call in a float
`state` input/output, and an int64 `sr` input choosing the 8 kHz or 16 kHz branch of an `If`.

  Samples/models/silero-vad/    silero_vad.onnx (opset 16, 8 and 16 kHz) and
                                silero_vad_16k_op15.onnx, copied byte for byte from the wheel,
                                with LICENSE and speech labels
  Tests/ONNXTests/Fixtures/silero/reference.npz
      audio                      16 kHz speech and noise (see below), float32
      <model>.probabilities      onnxruntime's speech probability per 512-sample chunk, run as
                                 silero's own OnnxWrapper does (64 samples of context before
                                 each chunk, state carried, zeros at the start)
      <model>.final_state        the state after the last chunk
      gradient.chunks            indices of the chunks whose gradients are checked
      gradient.inputs            those chunks with their context [k, 1, 576]
      gradient.states            the state each of them starts from [k, 2, 1, 128]
      gradient.input_grad        PyTorch autograd on silero_vad.jit: d speech / d input [k, 1, 576]

The wheel comes from PyPI by `pip download silero-vad==6.2.3 --no-deps` and must match the
pinned sha256; nothing of silero-vad is imported (the files are read from the wheel, a zip).
The audio is Debian's alsa-utils recordings /usr/share/sounds/alsa/{Front_Center,Rear_Right,
Noise}.wav (48 kHz, 16-bit), decimated to 16 kHz by a 97-tap Hamming-windowed sinc low-pass
(cut-off 7.2 kHz) and taking every third sample.

Run: `python Tools/make_silero_fixtures.py` (numpy, torch, onnx, onnxruntime, soundfile-free:
the WAV files are read with the standard library's `wave`).
"""
import hashlib
import shutil
import subprocess
import sys
import tempfile
import wave
import zipfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

VERSION = "6.2.3"
WHEEL = f"silero_vad-{VERSION}-py3-none-any.whl"
WHEEL_SHA256 = "7b7f5436cfcb02fae583a05b512ea96467fd449fe54cb49a5e4f06c51a1e43b8"
MODELS = ["silero_vad.onnx", "silero_vad_16k_op15.onnx"]
RECORDINGS = ["Front_Center.wav", "Rear_Right.wav", "Noise.wav"]
ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "Samples" / "models" / "silero-vad"
FIXTURES = ROOT / "Tests" / "ONNXTests" / "Fixtures" / "silero"
CHUNK, CONTEXT, RATE = 512, 64, 16000
GRADIENT_CHUNKS = [3, 20, 41, 77]


def fetch_wheel(folder: Path) -> zipfile.ZipFile:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", f"silero-vad=={VERSION}", "--no-deps", "-d", str(folder), "-q"],
        check=True)
    path = folder / WHEEL
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        sys.exit(f"{path}: sha256 {digest}, expected {WHEEL_SHA256}")
    return zipfile.ZipFile(path)


def speech_audio() -> np.ndarray:
    taps = np.arange(97) - 48
    lowpass = np.sinc(2 * 7200 / 48000 * taps) * np.hamming(97)
    lowpass /= lowpass.sum()
    parts = []
    for name in RECORDINGS:
        with wave.open(f"/usr/share/sounds/alsa/{name}") as file:
            assert file.getframerate() == 48000 and file.getnchannels() == 1 and file.getsampwidth() == 2
            samples = np.frombuffer(file.readframes(file.getnframes()), dtype="<i2").astype(np.float64) / 32768
        parts.append(np.convolve(samples, lowpass, mode="same")[::3])
    return np.concatenate(parts).astype(np.float32)


def stream(session: ort.InferenceSession, audio: np.ndarray):
    """silero's OnnxWrapper: context + chunk in, state carried; returns probabilities, the input
    and starting state of each chunk, and the final state."""
    state = np.zeros((2, 1, 128), np.float32)
    context = np.zeros((1, CONTEXT), np.float32)
    probabilities, inputs, states = [], [], []
    for start in range(0, len(audio) - CHUNK + 1, CHUNK):
        x = np.concatenate([context, audio[None, start:start + CHUNK]], axis=1)
        inputs.append(x)
        states.append(state)
        out, state = session.run(None, {"input": x, "state": state, "sr": np.array(RATE, np.int64)})
        probabilities.append(out[0, 0])
        context = x[:, -CONTEXT:]
    return np.array(probabilities, np.float32), np.stack(inputs), np.stack(states), state


def main() -> None:
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    audio = speech_audio()
    BUNDLE.mkdir(parents=True, exist_ok=True)
    FIXTURES.mkdir(parents=True, exist_ok=True)
    arrays = {"audio": audio}
    with tempfile.TemporaryDirectory() as folder:
        wheel = fetch_wheel(Path(folder))
        for name in MODELS:
            (BUNDLE / name).write_bytes(wheel.read(f"silero_vad/data/{name}"))
        (BUNDLE / "LICENSE").write_bytes(wheel.read(f"silero_vad-{VERSION}.dist-info/licenses/LICENSE"))
        jit_path = Path(folder) / "silero_vad.jit"
        jit_path.write_bytes(wheel.read("silero_vad/data/silero_vad.jit"))
        for name in MODELS:
            session = ort.InferenceSession(str(BUNDLE / name), options, providers=["CPUExecutionProvider"])
            probabilities, inputs, states, final = stream(session, audio)
            arrays[f"{name}.probabilities"] = probabilities
            arrays[f"{name}.final_state"] = final
            if name == MODELS[0]:
                chunk_inputs, chunk_states = inputs, states
        torch.set_num_threads(1)
        jit = torch.jit.load(str(jit_path)).eval()
        gradients = []
        for index in GRADIENT_CHUNKS:
            x = torch.from_numpy(chunk_inputs[index]).requires_grad_(True)
            out, _ = jit._model.forward(x, torch.from_numpy(chunk_states[index]))
            out.sum().backward()
            gradients.append(x.grad.numpy().copy())
            expected = arrays[f"{MODELS[0]}.probabilities"][index]
            assert abs(float(out) - expected) < 1e-4, (index, float(out), expected)
    arrays["gradient.chunks"] = np.array(GRADIENT_CHUNKS, np.int64)
    arrays["gradient.inputs"] = chunk_inputs[GRADIENT_CHUNKS]
    arrays["gradient.states"] = chunk_states[GRADIENT_CHUNKS]
    arrays["gradient.input_grad"] = np.stack(gradients)
    np.savez(FIXTURES / "reference.npz", **arrays)
    speech = arrays[f"{MODELS[0]}.probabilities"]
    print(f"{len(audio) / RATE:.2f} s of audio, {len(speech)} chunks, {int((speech > 0.5).sum())} above 0.5")
    for name in MODELS:
        print(name, hashlib.sha256((BUNDLE / name).read_bytes()).hexdigest())


if __name__ == "__main__":
    main()
