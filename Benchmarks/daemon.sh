#!/usr/bin/env bash
# wamd on this machine (release build, one thread, one worker):
#  1. real-time factor on Samples/audio/stream-40s.wav explaining every window with WAM_IG m=32
#     at hop = window (processing time / audio time, the whole run including start-up);
#  2. resident memory over a 1-hour raw PCM stream on standard input (the 40 s sample 90 times),
#     sampled every 10 s.
#
#   bash Benchmarks/daemon.sh [MINUTES]     (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-60}
swift build -c release --product wamd >/dev/null
wamd=.build/release/wamd
model=Samples/models/audio-resnet.onnx
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
common=(--model "$model" --set model.threads=1 --set explain.workers=1 --set explain.method='"intgrad"' --set explain.steps=32
        --set gates.min_probability=0 --set gates.min_dbfs=-200 --set gates.max_per_class_per_minute=0)

start=$(date +%s.%N)
"$wamd" file:Samples/audio/stream-40s.wav "${common[@]}" --out "$out/rtf" 2>/dev/null
end=$(date +%s.%N)
explained=$(find "$out/rtf" -name '*.json' | wc -l)
awk -v s="$start" -v e="$end" -v n="$explained" 'BEGIN { printf "real-time factor: %.3f (%.1f s for 40 s of audio, %d windows explained)\n", (e - s) / 40, e - s, n }'

repeats=$(( minutes * 60 / 40 ))
echo "memory: ${minutes} min of audio on standard input (RSS in MB every 10 s):"
( for ((i = 0; i < repeats; i++)); do tail -c +45 Samples/audio/stream-40s.wav; done ) \
  | "$wamd" - --format s16le --rate 16000 "${common[@]}" --set output.max_bytes=50000000 --set output.check_interval=5 \
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
