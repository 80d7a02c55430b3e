#!/usr/bin/env bash
# wamd on this machine (release build, one thread, one worker):
#  1. real-time factor on Samples/audio/stream-40s.wav explaining every window with WAM_IG m=32
#     at hop = window (processing time / audio time, the whole run including start-up);
#  2. resident memory over a 1-hour raw PCM stream on standard input (the 40 s sample 90 times),
#     sampled every 10 s.
#
#   bash Benchmarks/daemon.sh [MINUTES] [RTF_RUNS]     (defaults 60 and 5; the real-time factor is
#   measured RTF_RUNS times, best and middle reported, as the host's speed varies from run to run)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-60}
rtf_runs=${2:-5}
swift build -c release --product wamd >/dev/null
wamd=.build/release/wamd
model=Samples/models/audio-resnet.onnx
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
common=(--model "$model" --set model.threads=1 --set explain.workers=1 --set explain.method='"intgrad"' --set explain.steps=32
        --set gates.min_probability=0 --set gates.min_dbfs=-200 --set gates.max_per_class_per_minute=0)

factors=()
for ((run = 0; run < rtf_runs; run++)); do
  rm -rf "$out/rtf"
  start=$(date +%s.%N)
  "$wamd" file:Samples/audio/stream-40s.wav "${common[@]}" --out "$out/rtf" 2>/dev/null
  end=$(date +%s.%N)
  explained=$(find "$out/rtf" -name '*.json' | wc -l)
  factors+=("$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", (e - s) / 40 }')")
  echo "real-time factor: ${factors[-1]} ($explained windows explained)"
done
printf '%s\n' "${factors[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "real-time factor over %d runs: best %.3f, middle %.3f\n", NR, v[1], v[int((NR + 1) / 2)] }'

repeats=$(( minutes * 60 / 40 ))
echo "memory: ${minutes} min of audio on standard input (RSS in MB every 10 s):"
( for ((i = 0; i < repeats; i++)); do tail -c +45 Samples/audio/stream-40s.wav; done ) \
  | "$wamd" - --format s16le --rate 16000 "${common[@]}" --set source.backpressure=true --set output.max_bytes=50000000 --set output.check_interval=5 \
      --out "$out/mem" 2>/dev/null &
pid=$!
samples=()
while kill -0 "$pid" 2>/dev/null; do
  rss=$(awk '/VmRSS/ { print int($2 / 1024) }' "/proc/$pid/status" 2>/dev/null || true)
  [[ -n "$rss" ]] && samples+=("$rss") && printf '%s ' "$rss"
  sleep 10
done
wait "$pid"
echo
printf '%s\n' "${samples[@]}" | awk '{ if (NR == 1 || $1 > max) max = $1; if (NR == 7) minute = $1; last = $1 } END { printf "peak %d MB; %d MB after 1 min, %d MB at the end\n", max, minute, last }'
