#!/usr/bin/env bash
# How the defaults of `wam explain` were chosen: faithfulness (insertion - deletion AUC) of
# WAM_IG and WAM_SG on the bundled eval set (Samples/audio/eval, 2 clips per class) for a grid of
# wavelets, levels, modes and SmoothGrad spreads. Prints one line per setting.
#
#   bash Benchmarks/choose-defaults.sh [LIMIT]
set -euo pipefail
cd "$(dirname "$0")/.."
limit=${1:-24}
swift build -c release --product wam >/dev/null
wam=.build/release/wam
run() { "$wam" eval --data Samples/audio/eval --limit "$limit" --metrics insertion,deletion,faithfulness --insertion-steps 32 "$@" | tail -n +3; }
for wavelet in haar db4 sym8; do
  for levels in 4 6 8; do
    for mode in symmetric periodization; do
      echo "intgrad wavelet=$wavelet levels=$levels mode=$mode: $(run --methods wam-intgrad --wavelet "$wavelet" --levels "$levels" --mode "$mode")"
    done
  done
done
for spread in 0.05 0.1 0.2 0.3; do
  echo "smoothgrad spread=$spread: $(run --methods wam-smoothgrad --spread "$spread")"
done
for steps in 16 32 64; do
  echo "intgrad steps=$steps: $(run --methods wam-intgrad --steps "$steps")"
done
