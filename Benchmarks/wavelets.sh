#!/usr/bin/env bash
# Wavelet transforms, wam vs PyWavelets on this machine: db4, float32, multilevel (maximum level)
# decomposition + reconstruction of 2^20 samples and of a 512x512 image. Runs both tools in
# alternation ROUNDS times and keeps, per case, the best median of each (robust to other load).
#
#   bash Benchmarks/wavelets.sh [ROUNDS]        (needs PyWavelets: pip install -r Tools/requirements.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
python=${PYTHON:-python3}
swift build -c release --product wam >/dev/null
dir=$(mktemp -d)
for ((i = 0; i < rounds; i++)); do
  .build/release/wam bench wavelets --json >"$dir/wam-$i.json"
  "$python" Tools/bench_pywt.py --json >"$dir/pywt-$i.json"
done
"$python" - "$dir" "$rounds" <<'PY'
import json, sys
folder, rounds = sys.argv[1], int(sys.argv[2])
def best(tool):
    table = {}
    for i in range(rounds):
        for r in json.load(open(f"{folder}/{tool}-{i}.json"))["results"]:
            entry = table.setdefault(r["case"], [float("inf"), float("inf")])
            entry[0] = min(entry[0], r["decompose_ms"])
            entry[1] = min(entry[1], r["reconstruct_ms"])
    return table
wam, pywt = best("wam"), best("pywt")
print(f"{'case':28s} {'wam dec':>8s} {'pywt dec':>8s} {'ratio':>6s} {'wam rec':>8s} {'pywt rec':>8s} {'ratio':>6s}")
for case in wam:
    (wd, wr), (pd, pr) = wam[case], pywt[case]
    print(f"{case:28s} {wd:8.2f} {pd:8.2f} {pd / wd:5.1f}x {wr:8.2f} {pr:8.2f} {pr / wr:5.1f}x")
print("(milliseconds, best median over rounds; ratio = pywt time / wam time, above 1 means wam is faster)")
PY
rm -rf "$dir"
