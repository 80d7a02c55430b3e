#!/usr/bin/env bash
# The one driver of the benchmarks (Benchmarks/README.md): builds wam-bench (and wam, wamd where
# needed) in release mode and runs each benchmark next to its reference in the same run, the two
# in alternation so that both see the same machine state.
#
#   bash Benchmarks/run.sh [BENCHMARK [ARGS]]      (make bench: the quick four)
#
#   wavelets [ROUNDS=5]       wam-bench wavelets vs Reference/pywt_transforms.py (PyWavelets' C core):
#                             db4 decomposition + reconstruction, best median per case
#   engine [ROUNDS=3]         wam-bench engine vs Reference/torch_engine.py (PyTorch): forward,
#                             one gradient, 25 gradients of the fixtures' 1D ResNet
#   recurrent [ROUNDS=3]      the same for the conv + GRU and conv + LSTM fixtures at 1 s / 16 kHz, one thread
#   streaming [ROUNDS=3]      wam-bench streaming vs Reference/onnxruntime_streaming.py: silero-vad over 60 s,
#                             512-sample chunks, state carried, one thread
#   attribution [ROUNDS=7]    wam-bench attribution vs Reference/torch_wam.py (PyTorch + ptwt):
#                             WAM_SG n=25 and WAM_IG m=32 of one window, best and middle
#   integration               wam-bench integration: adaptive WAM_IG steps vs plain doubling
#   daemon [MINUTES=60] [RUNS=5]   wamd's real-time factor and its memory over a long stream
#   mqtt [ROUNDS=3]           the MQTT sink's cost per message next to a window's (wam-bench mqtt), and
#                             wamd's CPU time with and without publishing every window to a real mosquitto,
#                             and its memory after 600 windows (10 min at 1 window/s) with the broker down
#   cores [ROUNDS=3]          both cores (issue 19): wam explain --jobs 1/2 and --threads 2 on the 40 s sample (WAM_IG m=32),
#                             wamd's real-time factor with explain.workers 1/2 and model.threads 2
#   picture [ROUNDS=200]      wam-bench picture: one window's waveform-over-scalogram PNG, drawn and encoded
#   batch [ROUNDS=3]          wam batch (issue 18): --jobs 1 and --jobs 2 over 8 recordings of 10 s (WAM_IG m=32),
#                             its overhead beyond the explanations, peak memory, and wam explain per file
#   defaults [LIMIT=24]       the grid of wam eval runs the defaults of wam explain came from
#   quick                     wavelets, engine, attribution, integration (what make bench runs)
#
# The references run in a virtual environment of Tools/requirements.txt, made once and cached in
# $WAM_BENCH_CACHE (default ~/.cache/wam-bench); PYTHON names the interpreter it is made with.
set -euo pipefail
cd "$(dirname "$0")/.."
CHECK_NAME=bench
source Tools/check-results.sh
source Tools/python-venv.sh

bin=.build/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build() { swift build -c release --product "$1" >/dev/null; }

# Sets $reference, the Python of the cached environment with the reference packages.
reference_python() {
  [[ -n "${reference:-}" ]] && return
  python=${PYTHON:-python3} requirements=Tools/requirements.txt cache_dir=${WAM_BENCH_CACHE:-$HOME/.cache/wam-bench}
  prepare_venv
  reference=$venv/bin/python
}

bench_wavelets() {
  local rounds=${1:-5} i
  build wam-bench && reference_python
  for ((i = 0; i < rounds; i++)); do
    "$bin/wam-bench" wavelets --json >"$work/wam-$i.json"
    "$reference" Benchmarks/Reference/pywt_transforms.py --json >"$work/pywt-$i.json"
  done
  "$reference" - "$work" "$rounds" <<'PY'
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
}

bench_engine() {
  build wam-bench && reference_python
  "$reference" Benchmarks/Reference/torch_engine.py --engine "$bin/wam-bench" --rounds "${1:-3}"
}

bench_recurrent() {
  local kind
  build wam-bench && reference_python
  for kind in conv_gru conv_lstm; do
    "$reference" Benchmarks/Reference/torch_engine.py --engine "$bin/wam-bench" --rounds "${1:-3}" --model "$kind" --threads 1 --runs 10
  done
}

bench_streaming() {
  build wam-bench && reference_python
  "$reference" Benchmarks/Reference/onnxruntime_streaming.py --engine "$bin/wam-bench" --rounds "${1:-3}"
}

bench_attribution() {
  local rounds=${1:-7} i
  build wam-bench && reference_python
  for ((i = 0; i < rounds; i++)); do
    "$bin/wam-bench" attribution --threads 1 --json >"$work/wam-$i.json"
    "$reference" Benchmarks/Reference/torch_wam.py --threads 1 >"$work/torch-$i.json"
  done
  "$reference" - "$work" "$rounds" <<'PY'
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
}

bench_integration() {
  build wam-bench
  "$bin/wam-bench" integration "$@"
}

# 1. real-time factor on Samples/audio/stream-40s.wav explaining every window with WAM_IG m=32 at
#    hop = window (processing time / audio time, the whole run including start-up), RUNS times;
# 2. resident memory over a long raw PCM stream on standard input (the 40 s sample repeated),
#    sampled every 10 s.
bench_daemon() {
  local minutes=${1:-60} runs=${2:-5} run start end explained repeats pid rss i
  build wamd
  local wamd=$bin/wamd out=$work
  local common=(--model Samples/models/audio-resnet.onnx --set model.threads=1 --set explain.workers=1
    --set explain.method='"intgrad"' --set explain.steps=32
    --set gates.min_probability=0 --set gates.min_dbfs=-200 --set gates.max_per_class_per_minute=0)
  local factors=()
  for ((run = 0; run < runs; run++)); do
    rm -rf "$out/rtf"
    start=$(date +%s.%N)
    "$wamd" file:Samples/audio/stream-40s.wav "${common[@]}" --out "$out/rtf" 2>/dev/null
    end=$(date +%s.%N)
    explained=$(find "$out/rtf" -name '*.json' | wc -l)
    factors+=("$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", (e - s) / 40 }')")
    echo "real-time factor: ${factors[-1]} ($explained windows explained)"
  done
  printf '%s\n' "${factors[@]}" | sort -n \
    | awk '{ v[NR] = $1 } END { printf "real-time factor over %d runs: best %.3f, middle %.3f\n", NR, v[1], v[int((NR + 1) / 2)] }'
  repeats=$((minutes * 60 / 40))
  echo "memory: ${minutes} min of audio on standard input (RSS in MB every 10 s):"
  (for ((i = 0; i < repeats; i++)); do tail -c +45 Samples/audio/stream-40s.wav; done) \
    | "$wamd" - --format s16le --rate 16000 "${common[@]}" --set source.backpressure=true \
      --set output.max_bytes=50000000 --set output.check_interval=5 --out "$out/mem" 2>/dev/null &
  pid=$!
  local samples=()
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/VmRSS/ { print int($2 / 1024) }' "/proc/$pid/status" 2>/dev/null || true)
    [[ -n "$rss" ]] && samples+=("$rss") && printf '%s ' "$rss"
    sleep 10
  done
  wait "$pid"
  echo
  printf '%s\n' "${samples[@]}" \
    | awk '{ if (NR == 1 || $1 > max) max = $1; if (NR == 7) minute = $1; last = $1 } END { printf "peak %d MB; %d MB after 1 min, %d MB at the end\n", max, minute, last }'
}

# MQTT publishing (issue 17): wam-bench mqtt times the sink per message next to a window's own
# work; then wamd's CPU time (user + system) on 10 min of audio (the 40 s sample
# 15 times on standard input), every window
# classified and explained with the cheap gradient and every one published twice (window and
# explained) to a real mosquitto, against the same run without MQTT, in alternation; then peak
# memory after 600 windows fed as fast as they are classified with the broker down, for
# mqtt.queue = 100 and 1000 against MQTT off.
bench_mqtt() {
  local rounds=${1:-3} round mode cpu port broker rss held i
  build wamd
  local wamd=$bin/wamd
  local common=(--model Samples/models/audio-resnet.onnx --set model.threads=1 --set explain.workers=1
    --set explain.method='"gradient"' --set gates.min_probability=0 --set gates.min_dbfs=-200
    --set gates.max_per_class_per_minute=0 --set log.level='"warning"')
  local publish=(--set mqtt.enabled=true --set mqtt.host='"127.0.0.1"' --set mqtt.windows='"all"' --set mqtt.max_per_second=1000)
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" >"$work/mosquitto.conf"
  /usr/sbin/mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
  broker=$!
  sleep 1
  mosquitto_sub -h 127.0.0.1 -p "$port" -t 'wam/#' >"$work/received" &
  local subscriber=$!
  # The sink's own cost per message next to a window's, in one process (the precise number).
  build wam-bench
  "$bin/wam-bench" mqtt --port "$port"
  # The whole daemon with and without MQTT (a check of the above; the CPU time of whole runs
  # varies by a few percent on a shared machine).
  local off=() on=() threads=()
  for ((round = 0; round < rounds; round++)); do
    for mode in off on; do
      rm -rf "$work/out"
      local extra=()
      [[ $mode == on ]] && extra=("${publish[@]}" --set mqtt.port="$port")
      (for ((i = 0; i < 15; i++)); do tail -c +45 Samples/audio/stream-40s.wav; done) \
        | /usr/bin/time -o "$work/time" -f '%U %S' "$wamd" - --format s16le --rate 16000 --set source.backpressure=true \
          "${common[@]}" "${extra[@]}" --out "$work/out" >/dev/null 2>&1 &
      local timer=$! pid= network=0 ticks
      # The network thread's own CPU time (utime + stime of the thread named wamd-mqtt), last seen before the exit.
      while kill -0 "$timer" 2>/dev/null; do
        [[ -z "$pid" ]] && pid=$(pgrep -P "$timer" wamd || true)
        if [[ -n "$pid" ]]; then
          ticks=$(grep -l '^wamd-mqtt$' /proc/"$pid"/task/*/comm 2>/dev/null | sed 's|/comm$|/stat|' | xargs -r cat 2>/dev/null \
            | sed 's/.*) //' | awk '{ s += $12 + $13 } END { print s + 0 }' || true)
          ((ticks > network)) && network=$ticks
        fi
        sleep 0.2
      done
      wait "$timer"
      cpu=$(awk '{ printf "%.3f", $1 + $2 }' "$work/time")
      if [[ $mode == on ]]; then on+=("$cpu"); threads+=("$network"); else off+=("$cpu"); fi
      echo "round $round, mqtt $mode: $cpu s CPU ($(find "$work/out" -name '*.json' | wc -l) windows explained)" \
        "$([[ $mode == on ]] && echo "; network thread $(awk -v t="$network" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }') s")"
    done
  done
  kill "$subscriber" 2>/dev/null || true
  echo "messages received by the subscriber over the $rounds runs with MQTT: $(wc -l <"$work/received")"
  "${PYTHON:-python3}" - "${off[*]}" "${on[*]}" "${threads[*]}" "$(getconf CLK_TCK)" <<'PY'
import statistics, sys
off, on, threads = ([float(v) for v in a.split()] for a in sys.argv[1:4])
hz = float(sys.argv[4])
network = statistics.median(threads) / hz
print(f"CPU seconds, MQTT off: best {min(off):.3f}, middle {statistics.median(off):.3f}; "
      f"on: best {min(on):.3f}, middle {statistics.median(on):.3f}; "
      f"difference: best {100 * (min(on) / min(off) - 1):+.2f} %, middle {100 * (statistics.median(on) / statistics.median(off) - 1):+.2f} %")
print(f"network thread (wamd-mqtt), middle: {network:.2f} s = {100 * network / statistics.median(on):.2f} % of the run's CPU")
PY
  kill "$broker" 2>/dev/null || true
  wait "$broker" 2>/dev/null || true
  # The broker down: nothing listens on $port any more.
  echo "memory after 600 windows with the broker down (peak RSS):"
  for mode in off 100 1000; do
    rm -rf "$work/out"
    local extra=()
    [[ $mode != off ]] && extra=("${publish[@]}" --set mqtt.port="$port" --set mqtt.queue="$mode")
    (for ((round = 0; round < 15; round++)); do tail -c +45 Samples/audio/stream-40s.wav; done) \
      | /usr/bin/time -f '%M' "$wamd" - --format s16le --rate 16000 "${common[@]}" "${extra[@]}" --set source.backpressure=true \
        --set log.level='"notice"' --out "$work/out" >/dev/null 2>"$work/mem.log"
    rss=$(tail -1 "$work/mem.log")
    held=$(grep -o '[0-9]* messages not delivered' "$work/mem.log" | grep -o '^[0-9]*' || echo 0)
    echo "mqtt.queue $mode: peak RSS $((rss / 1024)) MB, messages held at the stop: ${held:-0}"
  done
}

# Faithfulness (insertion - deletion AUC) of WAM_IG and WAM_SG on the bundled eval set
# (Samples/audio/eval) for a grid of wavelets, levels, modes, SmoothGrad spreads and steps.
# Both cores (issue 19): the same work on one and on two cores, three ways each, in alternation:
# wam explain of Samples/audio/stream-40s.wav (40 windows, WAM_IG m=32) with --jobs 1, --jobs 2
# and --threads 2; wamd's real-time factor on the same file with every window explained, with
# explain.workers = 1, 2 and model.threads = 2. Pictures are on (wam explain's default).
bench_cores() {
  local rounds=${1:-3} round setting start end
  build wam
  build wamd
  local common=(--model Samples/models/audio-resnet.onnx --set explain.method='"intgrad"' --set explain.steps=32
    --set gates.min_probability=0 --set gates.min_dbfs=-200 --set gates.max_per_class_per_minute=0)
  for ((round = 0; round < rounds; round++)); do
    for setting in "--jobs 1" "--jobs 2" "--threads 2"; do
      rm -rf "$work/explain"
      start=$(date +%s.%N)
      # shellcheck disable=SC2086
      "$bin/wam" explain Samples/audio/stream-40s.wav --steps 32 $setting --out "$work/explain" >/dev/null
      end=$(date +%s.%N)
      awk -v s="$start" -v e="$end" -v what="$setting" 'BEGIN { printf "wam explain %s: %.2f s\n", what, e - s }'
    done
    for setting in "explain.workers=1 model.threads=1" "explain.workers=2 model.threads=1" "explain.workers=1 model.threads=2"; do
      rm -rf "$work/rtf"
      start=$(date +%s.%N)
      # shellcheck disable=SC2046
      "$bin/wamd" file:Samples/audio/stream-40s.wav "${common[@]}" $(printf -- '--set %s ' $setting) --out "$work/rtf" 2>/dev/null
      end=$(date +%s.%N)
      awk -v s="$start" -v e="$end" -v what="$setting" -v n="$(find "$work/rtf" -name '*.json' | wc -l)" \
        'BEGIN { printf "wamd %s: real-time factor %.3f (%d windows explained)\n", what, (e - s) / 40, n }'
    done
  done
}

bench_picture() {
  build wam-bench
  "$bin/wam-bench" picture --rounds "${1:-200}"
}

# wam batch (issue 18): 8 recordings of 10 s (slices of Samples/audio/stream-40s.wav), every
# window explained with WAM_IG m=32, one model thread; per round, in alternation: wam batch --jobs 1,
# wam batch --jobs 2 (wall time and peak RSS), two shards in two processes at once (the parallel
# reference without a shared model), and wam explain once per file (the same work without batch,
# a process per input). Overhead = the run's wall time minus the explanations' own time
# (the rows' seconds), over the run's wall time.
bench_batch() {
  local rounds=${1:-3} round jobs start end
  build wam
  python3 - "$work/inputs" <<'PY'
import os, sys, wave
os.makedirs(sys.argv[1], exist_ok=True)
with wave.open("Samples/audio/stream-40s.wav", "rb") as source:
    params, frames = source.getparams(), source.readframes(source.getnframes())
width, rate = params.sampwidth * params.nchannels, params.framerate
for i in range(8):
    start = (i * 37 * rate // 10) % (30 * rate)
    with wave.open(f"{sys.argv[1]}/slice-{i}.wav", "wb") as out:
        out.setparams(params)
        out.writeframes(frames[start * width:(start + 10 * rate) * width])
PY
  ls "$work"/inputs/*.wav >"$work/manifest.txt"
  local options=(--steps 32 --threads 1)
  for ((round = 0; round < rounds; round++)); do
    for jobs in 1 2; do
      rm -rf "$work/out"
      start=$(date +%s.%N)
      /usr/bin/time -f '%M' -o "$work/rss" "$bin/wam" batch --manifest "$work/manifest.txt" --out "$work/out" --jobs "$jobs" "${options[@]}" >/dev/null
      end=$(date +%s.%N)
      python3 - "$start" "$end" "$jobs" "$(cat "$work/rss")" "$work/out/shards/shard-0-of-1.jsonl" <<'PY'
import json, sys
start, end, jobs, rss, rows = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
rows = [json.loads(line) for line in open(rows)]
wall, inside = end - start, sum(row["seconds"] for row in rows)
windows = sum(row["windows"] for row in rows)
overhead = (wall - inside / jobs) / wall
print(f"batch --jobs {jobs}: {wall:.2f} s for {windows} windows ({windows / wall:.2f} windows/s); explanations {inside:.2f} s, "
      f"overhead {100 * overhead:.1f} %; peak RSS {rss // 1024} MB")
PY
    done
    rm -rf "$work/out"
    start=$(date +%s.%N)
    "$bin/wam" batch --manifest "$work/manifest.txt" --out "$work/out" --shard-index 0 --shard-count 2 "${options[@]}" >/dev/null &
    "$bin/wam" batch --manifest "$work/manifest.txt" --out "$work/out" --shard-index 1 --shard-count 2 "${options[@]}" >/dev/null
    wait
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "two processes (shards 0 and 1 of 2, --jobs 1) at once: %.2f s\n", e - s }'
    rm -rf "$work/explain"
    start=$(date +%s.%N)
    for input in "$work"/inputs/*.wav; do "$bin/wam" explain "$input" "${options[@]}" --out "$work/explain/$(basename "$input")" >/dev/null; done
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "wam explain per file: %.2f s\n", e - s }'
  done
}

bench_defaults() {
  local limit=${1:-24} wavelet levels mode spread steps
  build wam
  run() { "$bin/wam" eval --data Samples/audio/eval --limit "$limit" --metrics insertion,deletion,faithfulness --insertion-steps 32 "$@" | tail -n +3; }
  for wavelet in haar db4 sym8; do
    for levels in 4 6 8; do
      for mode in symmetric periodization; do
        echo "intgrad wavelet=$wavelet levels=$levels mode=$mode: $(run --methods wam-intgrad --wavelet "$wavelet" --levels "$levels" --mode "$mode")"
      done
    done
  done
  for spread in 0.05 0.1 0.2 0.3; do echo "smoothgrad spread=$spread: $(run --methods wam-smoothgrad --spread "$spread")"; done
  for steps in 16 32 64; do echo "intgrad steps=$steps: $(run --methods wam-intgrad --steps "$steps")"; done
}

bench_quick() {
  local name
  for name in wavelets engine attribution integration; do
    log "$name"
    "bench_$name"
  done
}

name=${1:-quick}
[[ $# -gt 0 ]] && shift
if ! declare -F "bench_$name" >/dev/null; then
  echo "unknown benchmark '$name'; expected wavelets, engine, recurrent, streaming, attribution, integration, daemon, mqtt, cores, picture, batch, defaults or quick" >&2
  exit 2
fi
"bench_$name" "$@"
