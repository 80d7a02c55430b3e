#!/usr/bin/env bash
# Inference engine benchmark (issue 3): builds the benchmark package (Benchmarks/Package.swift,
# which CI never builds) in release mode, then runs PyTorch and the engine in alternation on the
# 1D ResNet of the engine fixtures. See Benchmarks/README.md, section "Inference engine".
#
#   bash Benchmarks/engine.sh [ROUNDS]        # PYTHON=/path/to/venv/bin/python to pick the Python
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
swift build -c release --package-path Benchmarks --product engine-bench
"${PYTHON:-python3}" Tools/bench_torch_engine.py --engine Benchmarks/.build/release/engine-bench --rounds "$rounds"
