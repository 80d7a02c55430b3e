#!/usr/bin/env python3
"""Times onnxruntime (one thread) streaming audio through silero-vad as silero's own OnnxWrapper
does: 64 samples of context + a 512-sample chunk per call, the state carried. With --engine,
`wam-bench streaming` runs in alternation on the same audio length and a table is printed.

  bash Benchmarks/run.sh streaming       (or by hand:)
  python Benchmarks/Reference/onnxruntime_streaming.py --engine .build/release/wam-bench
"""
import argparse
import re
import subprocess
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "Samples" / "models" / "silero-vad" / "silero_vad.onnx"


def stream_seconds(seconds, runs):
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(MODEL), options, providers=["CPUExecutionProvider"])
    audio = (np.random.default_rng(0).random(int(seconds * 16000), dtype=np.float32) - 0.5) * 0.2
    sr = np.array(16000, np.int64)

    def stream():
        state = np.zeros((2, 1, 128), np.float32)
        context = np.zeros((1, 64), np.float32)
        for start in range(0, len(audio) - 511, 512):
            x = np.concatenate([context, audio[None, start:start + 512]], axis=1)
            _, state = session.run(None, {"input": x, "state": state, "sr": sr})
            context = x[:, -64:]

    stream()
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        stream()
        best = min(best, time.perf_counter() - started)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engine", help="the wam-bench executable (its streaming subcommand)")
    arguments = parser.parse_args()
    results = {"onnxruntime": [], "engine": []}
    for _ in range(arguments.rounds):
        results["onnxruntime"].append(stream_seconds(arguments.seconds, arguments.runs))
        if arguments.engine:
            output = subprocess.run([arguments.engine, "streaming", "--seconds", str(arguments.seconds), "--runs", str(arguments.runs)],
                                    check=True, capture_output=True, text=True).stdout
            results["engine"].append(float(re.search(r"in ([0-9.]+) s", output).group(1)))
    print(f"silero-vad, {arguments.seconds:.0f} s of 16 kHz audio in 512-sample chunks, state carried, one thread "
          f"(best of {arguments.runs} runs, best of {arguments.rounds} alternating rounds)")
    print(f"{'runtime':>12} {'seconds':>8} {'x real time':>12} {'ms/chunk':>9}")
    chunks = arguments.seconds * 16000 / 512
    for name, times in results.items():
        if times:
            best = min(times)
            print(f"{name:>12} {best:8.3f} {arguments.seconds / best:12.0f} {best * 1000 / chunks:9.3f}")


if __name__ == "__main__":
    main()
