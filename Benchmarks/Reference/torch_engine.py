#!/usr/bin/env python3
"""Times PyTorch (CPU) on a model of the engine fixtures, side by side with the engine: the 1D
ResNet (default), or with --model conv_gru / conv_lstm the conv + recurrent fixtures at 1 s / 16 kHz
(the same definitions and seeds as the fixtures, exported here for a 16000-sample input).

For each thread count it measures, in a fresh process each: forward of one 1 s / 16 kHz window,
one input gradient, a batch of 25 input gradients (the best of repeated runs, or with
--statistic median their median), and the process's peak resident memory. PyTorch runs in eval mode with frozen parameters, so it computes input
gradients only, like the engine. With --engine, the engine's benchmark executable runs in
alternation with PyTorch (same rounds, same machine state) and a comparison table is printed.

  bash Benchmarks/run.sh engine          (or by hand:)
  swift build -c release --product wam-bench
  python Benchmarks/Reference/torch_engine.py --engine .build/release/wam-bench

Needs torch and onnxruntime (Tools/requirements.txt); the weights are seeded like
Tools/make_engine_fixtures.py, which this script imports for the model definition.
"""
import argparse
import importlib.util
import tempfile
import json
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "Tests" / "ONNXTests" / "Fixtures" / "models" / "resnet1d.onnx"


def time_ms(runs, body, statistic):
    body()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        body()
        times.append((time.perf_counter() - start) * 1000)
    return min(times) if statistic == "best" else statistics.median(times)


def fixture_model(kind):
    """The fixture model `kind`, seeded as Tools/make_engine_fixtures.py seeds it."""
    import torch
    import torch.nn as nn

    spec = importlib.util.spec_from_file_location("fixtures", ROOT / "Tools" / "make_engine_fixtures.py")
    fixtures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixtures)
    if kind == "resnet1d":
        torch.manual_seed(1)
        model = fixtures.ResNet1D()
        fixtures.randomize_batch_norms(model, torch.Generator().manual_seed(1))
    else:
        cell, seed = {"conv_gru": (nn.GRU, 5), "conv_lstm": (nn.LSTM, 6)}[kind]
        torch.manual_seed(seed)
        model = fixtures.ConvRecurrent(cell)
    return model.eval()


def export_recurrent(kind, path):
    """The recurrent fixture `kind` exported for [batch, 1, 16000] inputs."""
    import torch

    torch.onnx.export(fixture_model(kind), (torch.zeros(1, 1, 16000),), path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}}, opset_version=17, dynamo=False)


def measure_torch(threads, runs, statistic, kind, onnx_path):
    import torch

    torch.set_num_threads(threads)
    model = fixture_model(kind)
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    generator = torch.Generator().manual_seed(0)
    one = torch.rand(1, 1, 16000, generator=generator) - 0.5
    batch = torch.rand(25, 1, 16000, generator=generator) - 0.5
    classes = torch.arange(25) % (10 if kind == "resnet1d" else 5)

    def forward():
        with torch.no_grad():
            model(one)

    def gradients(x, targets):
        x = x.clone().requires_grad_(True)
        model(x).gather(1, targets[:, None]).sum().backward()
        return x.grad

    result = {
        "forward": time_ms(runs, forward, statistic),
        "gradient": time_ms(runs, lambda: gradients(one, classes[:1]), statistic),
        "batch25": time_ms(max(3, runs // 2), lambda: gradients(batch, classes), statistic),
    }
    try:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        session = ort.InferenceSession(str(onnx_path), options)
        feed = {session.get_inputs()[0].name: one.numpy()}
        result["onnxruntime_forward"] = time_ms(runs, lambda: session.run(None, feed), statistic)
    except ImportError:
        pass
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def run_torch(threads, runs, statistic, kind, onnx_path):
    output = subprocess.run([sys.executable, __file__, "--worker", "--threads", str(threads), "--runs", str(runs),
                             "--statistic", statistic, "--model", kind, "--onnx", str(onnx_path)],
                            check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def run_engine(executable, threads, runs, statistic, onnx_path):
    output = subprocess.run([executable, "engine", "--threads", str(threads), "--runs", str(runs), "--model", str(onnx_path),
                             "--statistic", statistic], check=True, capture_output=True, text=True).stdout
    numbers = [float(value) for value in re.findall(r"([0-9.]+) (?:ms|MiB)", output)]
    return dict(zip(["forward", "gradient", "batch25", "peak_rss_mib"], numbers))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per thread count (the median round is reported)")
    parser.add_argument("--statistic", choices=["best", "median"], default="best",
                        help="per round, the best run (default: robust to other jobs) or the median run")
    parser.add_argument("--engine", help="the wam-bench executable, to compare side by side (its engine subcommand)")
    parser.add_argument("--model", choices=["resnet1d", "conv_gru", "conv_lstm"], default="resnet1d")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--onnx", help=argparse.SUPPRESS)
    parser.add_argument("--export", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.export:
        export_recurrent(arguments.model, arguments.onnx)
        return
    if arguments.worker:
        print(json.dumps(measure_torch(arguments.threads[0], arguments.runs, arguments.statistic, arguments.model, arguments.onnx)))
        return
    with tempfile.TemporaryDirectory() as folder:
        onnx_path = MODEL
        if arguments.model != "resnet1d":
            onnx_path = Path(folder) / f"{arguments.model}_16k.onnx"
            # In a child: a parent that imported torch would pass its peak memory on to the
            # engine's process through fork (Linux keeps ru_maxrss across exec).
            subprocess.run([sys.executable, __file__, "--export", "--model", arguments.model, "--onnx", str(onnx_path)],
                           check=True, capture_output=True)
        compare(arguments, onnx_path)


def compare(arguments, onnx_path):
    keys = ["forward", "gradient", "batch25", "peak_rss_mib"]
    print(f"{arguments.model}: {arguments.statistic} run of {arguments.runs} (25 gradients: of {max(3, arguments.runs // 2)}), "
          f"median of {arguments.rounds} alternating rounds")
    print(f"{'threads':>7} {'runtime':>12} {'forward ms':>11} {'1 grad ms':>10} {'25 grads ms':>12} {'peak MiB':>9}")
    for threads in arguments.threads:
        rounds = {"PyTorch": [], "engine": []}
        for _ in range(arguments.rounds):
            rounds["PyTorch"].append(run_torch(threads, arguments.runs, arguments.statistic, arguments.model, onnx_path))
            if arguments.engine:
                rounds["engine"].append(run_engine(arguments.engine, threads, arguments.runs, arguments.statistic, onnx_path))
        medians = {name: {key: statistics.median(r[key] for r in results) for key in keys}
                   for name, results in rounds.items() if results}
        for name, values in medians.items():
            print(f"{threads:>7} {name:>12} {values['forward']:>11.2f} {values['gradient']:>10.2f} "
                  f"{values['batch25']:>12.1f} {values['peak_rss_mib']:>9.0f}")
        onnx_forward = statistics.median(r["onnxruntime_forward"] for r in rounds["PyTorch"] if "onnxruntime_forward" in r)
        print(f"{threads:>7} {'onnxruntime':>12} {onnx_forward:>11.2f} {'-':>10} {'-':>12} {'-':>9}")
        if "engine" in medians:
            speedup = medians["PyTorch"]["batch25"] / medians["engine"]["batch25"]
            print(f"{'':>7} {'speedup':>12} {medians['PyTorch']['forward'] / medians['engine']['forward']:>11.2f} "
                  f"{medians['PyTorch']['gradient'] / medians['engine']['gradient']:>10.2f} {speedup:>12.2f}")


if __name__ == "__main__":
    main()
