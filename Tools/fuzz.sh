#!/usr/bin/env bash
# Builds the libFuzzer executables of Fuzz/ and runs each fuzz target for a bounded time.
#
#   bash Tools/fuzz.sh                 # every target, 30 s each (what CI runs)
#   bash Tools/fuzz.sh 3600 onnx npy   # an hour each on two targets
#   FUZZ_JOBS=2 bash Tools/fuzz.sh 3600 multipart   # two fuzzing processes on one target
#
# Targets: onnx npy npz config multipart window-id (Fuzz/README.md says what each one covers).
# Everything it writes goes under $FUZZ_WORK (default .build-fuzz/, ignored by git):
#   seeds/<target>/        regenerated each run from the repository's samples (Fuzz/seeds.py)
#   corpus/<target>/       what libFuzzer found interesting; kept between runs, so runs add up
#   runs/<stamp>/<target>/ the run's log (fuzz.log, or fuzz-N.log per job) and its artifacts:
#                          crash-*, timeout-*, oom-*, leak-* are reproducers
# Exits 0 when no target crashed, hung or ran out of memory; otherwise prints each reproducer,
# the stack and how to replay and minimise it, and exits 1.
#
# Environment: FUZZ_WORK; FUZZ_JOBS (default 1); FUZZ_TIMEOUT (libFuzzer's -timeout: 10 s, 60 s debug); FUZZ_KEEP_GOING=1 (fork mode: record every
# crash, hang and out-of-memory and go on fuzzing, instead of stopping at the first);
# FUZZ_CONFIGURATION (release, the default, or debug: builds faster, runs slower); FUZZ_BUILD=0
# (use the last build); FUZZ_SEED (libFuzzer's -seed: the same mutations every run, as CI wants);
# FUZZ_ARGS (extra libFuzzer flags, e.g. "-use_value_profile=1"); SWIFT.
set -euo pipefail
# Everything runs inside main, so bash has read the whole file before it starts (editing the
# script during an hour-long run cannot change the run).
main() {
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=${1:-30}
[[ $# -gt 0 ]] && shift
all=(onnx npy npz config multipart window-id)
targets=("$@")
((${#targets[@]})) || targets=("${all[@]}")

SWIFT=${SWIFT:-swift}
work=${FUZZ_WORK:-$root/.build-fuzz}
mkdir -p "$work" && work=$(cd "$work" && pwd)
jobs=${FUZZ_JOBS:-1}
read -r -a extra <<< "${FUZZ_ARGS:-}"

# The largest input each target is given (libFuzzer's -max_len), in bytes.
max_len() {
  case $1 in
    onnx) echo 65536 ;; npy) echo 16384 ;; npz) echo 65536 ;;
    config) echo 8192 ;; multipart) echo 8192 ;; window-id) echo 512 ;;
    *) echo "fuzz.sh: unknown target '$1'; targets: ${all[*]}" >&2; exit 2 ;;
  esac
}
for target in "${targets[@]}"; do max_len "$target" > /dev/null; done

# -sanitize=fuzzer instruments every Swift module for coverage and links libFuzzer; address adds
# AddressSanitizer. -Xcxx instruments the C++ of dependencies too (toml++ under TOMLKit).
configuration=${FUZZ_CONFIGURATION:-release}
# FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION (the usual name) lowers wam's tensor-size limit, so
# that no input legitimately runs past -timeout in this slow build (TensorLimits).
build_flags=(--package-path Fuzz -c "$configuration" -Xswiftc -sanitize=fuzzer,address -Xcxx -fsanitize=fuzzer-no-link,address
             -Xswiftc -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
if [[ ${FUZZ_BUILD:-1} != 0 ]]; then
  echo "fuzz.sh: building Fuzz/ ($configuration, -sanitize=fuzzer,address)"
  start=$(date +%s)
  "$SWIFT" build "${build_flags[@]}"
  echo "fuzz.sh: built in $(($(date +%s) - start)) s"
fi
bin=$("$SWIFT" build "${build_flags[@]}" --show-bin-path)

# From scratch: a seed the script no longer writes must not linger from an earlier run.
rm -rf "$work/seeds"
python3 Fuzz/seeds.py "$work/seeds"

# Swift's own crash backtracer reads the crashed process's memory in a way AddressSanitizer
# reports as a second error; libFuzzer's handler prints the stack instead.
export SWIFT_BACKTRACE=enable=no
# Leaks: off, see Fuzz/README.md. Symbolised stacks come from the toolchain's llvm-symbolizer.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=0:handle_abort=1}
symbolizer=$(dirname "$(command -v "$SWIFT")")/llvm-symbolizer
[[ -x $symbolizer ]] && export ASAN_SYMBOLIZER_PATH=$symbolizer

# A hang is an input running past 10 s in the optimised build. The debug build (what CI runs) is
# 5 to 20 times slower on the same input, so it allows 60 s: a slow but bounded input (a model
# folding a 2^20-element constant through ten nodes takes about 15 s there) is not a finding.
timeout=${FUZZ_TIMEOUT:-$([[ $configuration == debug ]] && echo 60 || echo 10)}

run_dir=$work/runs/$(date +%Y%m%d-%H%M%S)
failed=()
printf '%-10s %10s %10s %8s %8s %7s  %s\n' target seconds execs exec/s cov corpus result
for target in "${targets[@]}"; do
  out=$run_dir/$target
  mkdir -p "$out" "$work/corpus/$target"
  args=(-max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout="$timeout" -detect_leaks=0
        -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1
        -artifact_prefix="$out/" -dict="$root/Fuzz/dicts/$target.dict" "${extra[@]}")
  [[ -z ${FUZZ_SEED:-} ]] || args+=(-seed="$FUZZ_SEED")
  if [[ ${FUZZ_KEEP_GOING:-0} != 0 ]]; then
    args+=(-fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  elif ((jobs > 1)); then
    args+=(-jobs="$jobs" -workers="$jobs")
  fi
  start=$(date +%s)
  # With -jobs libFuzzer writes fuzz-N.log into the working directory: run inside $out.
  (cd "$out" && WAM_FUZZ_TARGET=$target "$bin/wam-fuzz" "${args[@]}" "$work/corpus/$target" "$work/seeds/$target" > fuzz.log 2>&1) && rc=0 || rc=$?
  elapsed=$(($(date +%s) - start))
  logs=("$out"/fuzz*.log)
  # Executions: the final stats, else (a crash prints none) the last status line of each log.
  execs=$(awk '/^stat::number_of_executed_units/ {s += $2; done[FILENAME] = 1}
               /^#[0-9]+/ {last[FILENAME] = substr($1, 2)}
               END {for (f in last) if (!(f in done)) s += last[f]; print s + 0}' "${logs[@]}")
  cov=$(awk '{for (i = 1; i < NF; i++) if ($i == "cov:" && $(i + 1) > m) m = $(i + 1)} END {print m + 0}' "${logs[@]}")
  corpus=$(find "$work/corpus/$target" -type f | wc -l)
  reproducers=$(find "$out" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | sort)
  result=ok
  [[ -n $reproducers || $rc -ne 0 ]] && result=FAILED
  shown=$result
  printf '%-10s %10s %10s %8s %8s %7s  %s\n' "$target" "$elapsed" "$execs" "$((execs / (elapsed > 0 ? elapsed : 1)))" "$cov" "$corpus" "$shown"
  if [[ $result == FAILED ]]; then
    failed+=("$target")
    echo "---- $target: libFuzzer exited $rc; log: ${logs[*]}"
    for reproducer in $reproducers; do echo "reproducer: $reproducer"; done
    # The first report: the error line and the top of the stack, demangled.
    grep -h -m1 -A24 -E '^==[0-9]+==ERROR|ERROR: libFuzzer|^SUMMARY' "${logs[@]}" | head -40 \
      | { "$SWIFT" demangle --simplified 2>/dev/null || cat; } || true
    [[ -n $reproducers ]] || echo "(no reproducer written: libFuzzer itself failed; see the log)"
    echo "replay:   WAM_FUZZ_TARGET=$target $bin/wam-fuzz <reproducer>"
    echo "minimise: WAM_FUZZ_TARGET=$target $bin/wam-fuzz -minimize_crash=1 -runs=100000 -artifact_prefix=$out/min- <reproducer>"
    echo "then keep it as a regression test: Fuzz/README.md, 'When the fuzzer finds something'"
    echo "----"
  fi
done
echo "fuzz.sh: logs, artifacts and reproducers in $run_dir; corpus in $work/corpus"
if ((${#failed[@]})); then
  echo "fuzz.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} targets, ${seconds} s each: no crash, hang or out-of-memory"
}

main "$@"; exit  # on one line: bash never reads past it, even if the file changed meanwhile
