#!/usr/bin/env bash
# WAM on one 1 s window of the bundled audio model, one thread: wam (`wam bench attribution`)
# against PyTorch + ptwt (`Tools/bench_torch_wam.py`), WAM_SG n=25 and WAM_IG m=32, db4,
# symmetric, 6 levels. Runs both in alternation ROUNDS times and prints, per method, the best
# and the middle of the per-round medians of each, and the peak resident memory.
#
#   bash Benchmarks/attribution.sh [ROUNDS]     (PYTHON= a Python with torch and ptwt, see Tools/samples)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-7}
python=${PYTHON:-python3}
swift build -c release --product wam >/dev/null
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for ((i = 0; i < rounds; i++)); do
  .build/release/wam bench attribution --threads 1 --json >"$dir/wam-$i.json"
  PYTHONPATH=Tools/samples "$python" Tools/bench_torch_wam.py --threads 1 >"$dir/torch-$i.json"
done
"$python" - "$dir" "$rounds" <<'PY'
import json, statistics, sys
folder, rounds = sys.argv[1], int(sys.argv[2])
runs = {tool: [json.load(open(f"{folder}/{tool}-{i}.json")) for i in range(rounds)] for tool in ("wam", "torch")}
print(f"{'method':22s} {'wam best':>9s} {'middle':>7s} {'torch best':>10s} {'middle':>7s} {'ratio best':>10s} {'middle':>7s}")
for key, name in (("wam_smoothgrad_n25_ms", "WAM_SG n=25"), ("wam_intgrad_m32_ms", "WAM_IG m=32")):
    w = [r[key] for r in runs["wam"]]
    t = [r[key] for r in runs["torch"]]
    print(f"{name:22s} {min(w):9.1f} {statistics.median(w):7.1f} {min(t):10.1f} {statistics.median(t):7.1f}"
          f" {min(t) / min(w):9.2f}x {statistics.median(t) / statistics.median(w):6.2f}x")
for tool in ("wam", "torch"):
    print(f"peak RSS {tool}: {max(r['peak_rss_mb'] for r in runs[tool]):.0f} MB")
print("(milliseconds per window; ratio = PyTorch time / wam time)")
PY
