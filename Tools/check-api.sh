#!/usr/bin/env bash
# Property-based tests of the live view's HTTP API against Docs/openapi.yaml, with schemathesis:
# a wamd of its own on a free loopback port, fed one recording through a spool folder so that the
# window endpoints have real data, then every documented operation with generated valid and
# invalid requests (bounded, deterministic), every response checked against the spec (status
# codes, content types, headers, schemas, no 5xx). Afterwards wamd must still be running, healthy
# and must not have logged an error. Prints a summary; exits 1 on any failure.
#
#   bash Tools/check-api.sh [WAMD]        # `make check-api` builds the debug wamd and runs this
#
# WAMD: the wamd binary (default: $WAM_API_WAMD, else .build/debug/wamd).
# Environment:
#   WAM_API_EXAMPLES=N   generated examples per operation and phase, for every operation (default:
#                        Tools/check-api.toml's, 50 and 10 for the event stream; ~2 min here)
#   WAM_API_CACHE=DIR    where the virtual environment is cached (/var/cache/wam-check-api)
#   WAM_API_KEEP=1       keep the scratch folder (wamd's log, configuration, output, reports)
#   PYTHON=python3       the Python that creates the virtual environment (3.10 or later)
#
# The pinned packages are in Tools/requirements-api.txt, the schemathesis settings (and why each
# differs from the default) in Tools/check-api.toml. Only loopback is used: wamd binds 127.0.0.1,
# schemathesis talks to http://127.0.0.1:PORT (so it sends the Host header wamd accepts), and
# nothing else is contacted after the virtual environment exists.
set -euo pipefail
cd "$(dirname "$0")/.."

# --- Settings -----------------------------------------------------------------------------------

wamd=${1:-${WAM_API_WAMD:-.build/debug/wamd}}
examples=${WAM_API_EXAMPLES:-}
cache_dir=${WAM_API_CACHE:-/var/cache/wam-check-api}
python=${PYTHON:-python3}
requirements=Tools/requirements-api.txt
st_config=Tools/check-api.toml
spec=Docs/openapi.yaml
model=Samples/models/audio-resnet.onnx
# 40 one-second windows of several classes, loud and quiet: explained and merely classified
# windows, every gate decision but rate_limited (the rate limit is off).
sample=Samples/audio/stream-40s.wav
recording_end=2025-01-31T12:00:40Z     # its windows start at 12:00:00, 12:00:01, ...
upload_sample=Samples/audio/piano.wav   # one window
# Upper bounds, so that a hang fails the run instead of stalling CI.
start_timeout=60        # wamd listening and ready
feed_timeout=120        # the recording classified and its windows explained
schemathesis_timeout=420

# Failures that are known server bugs (reported, being fixed on main): "CODE|TEXT|NOTE". A failure
# of schemathesis check CODE whose message contains TEXT still FAILs (that is the point); the
# summary names the bug. Remove an entry once the fix has landed.
known=()

# --- Results ------------------------------------------------------------------------------------

CHECK_NAME=check-api
# shellcheck source=Tools/check-results.sh
source Tools/check-results.sh  # (the script runs from the repository root)

# --- Cleanup ------------------------------------------------------------------------------------

wamd_pid=
scratch=
st_pipeline=

stop_wamd() {  # SIGTERM, then SIGKILL after 20 s; returns wamd's exit status
  [[ -n "$wamd_pid" ]] || return 0
  local status=0
  if kill -0 "$wamd_pid" 2>/dev/null; then
    kill -TERM "$wamd_pid" 2>/dev/null || true
    for _ in $(seq 1 80); do kill -0 "$wamd_pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$wamd_pid" 2>/dev/null; then
      echo "check-api: wamd did not stop within 20 s of SIGTERM; killing it" >&2
      kill -KILL "$wamd_pid" 2>/dev/null || true
    fi
  fi
  wait "$wamd_pid" 2>/dev/null || status=$?
  wamd_pid=
  return "$status"
}

on_exit() {
  local status=$?
  set +e
  # schemathesis, if this script is interrupted while it runs (timeout passes the signal on)
  if [[ -n "$st_pipeline" ]]; then
    kill -TERM "$(cat "$scratch/schemathesis.pid" 2>/dev/null)" 2>/dev/null
    wait "$st_pipeline" 2>/dev/null
  fi
  stop_wamd
  if [[ -n "$scratch" && -d "$scratch" ]]; then
    if [[ "${WAM_API_KEEP:-}" == 1 ]]; then
      echo "check-api: kept $scratch"
    else
      rm -rf "$scratch"
    fi
  fi
  if [[ -z "${finished:-}" ]]; then
    ((status != 0)) || status=1
    echo "check-api: aborted (status $status)" >&2
    results+=("aborted|FAIL|stopped early (status $status)")
    summary || true
  fi
  exit "$status"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- The virtual environment --------------------------------------------------------------------

# shellcheck source=Tools/python-venv.sh
source Tools/python-venv.sh

# --- wamd ---------------------------------------------------------------------------------------

free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

write_config() {  # write_config PORT
  cat >"$scratch/wamd.toml" <<EOF
# Tools/check-api.sh: a spool source, the bundled model, cheap explanations, the live view on
# loopback.
[source]
input = "spool:$scratch/spool"

[model]
path = "$PWD/$model"

[gates]
max_per_class_per_minute = 0    # no rate limit: every window that passes the other gates

[explain]
method = "gradient"             # one gradient per window: the cheapest method

[output]
dir = "$scratch/out"
min_free_bytes = 0              # never pause for a nearly full disk (would turn uploads into 503)
max_bytes = 0                   # no disk budget, no retention: no window's files go away mid-run
max_age_days = 0

[log]
level = "info"

[http]
enabled = true
bind = "127.0.0.1"
port = $1
EOF
}

api() {  # api PATH: GET http://127.0.0.1:PORT/PATH, body on standard output, fails unless 2xx
  curl -sf -m 10 "$base_url$1"
}

# Starts wamd; a port taken between choosing it and binding it is retried with another.
start_wamd() {
  local step=start attempt port deadline check
  [[ -x "$wamd" ]] || { fail $step "no wamd binary at $wamd (build it: swift build --product wamd)"; return 1; }
  mkdir -p "$scratch/spool" "$scratch/out"
  for attempt in 1 2 3; do
    port=$(free_port)
    base_url=http://127.0.0.1:$port
    write_config "$port"
    if ! check=$("$wamd" --check-config "$scratch/wamd.toml" 2>&1); then
      fail $step "the test configuration is invalid" "$check"; return 1
    fi
    # Plain log lines with levels (no journald priority prefixes, whatever runs this script).
    env -u JOURNAL_STREAM -u INVOCATION_ID "$wamd" --config "$scratch/wamd.toml" </dev/null >"$scratch/wamd.log" 2>&1 9>&- &
    wamd_pid=$!
    deadline=$(($(date +%s) + start_timeout))
    while kill -0 "$wamd_pid" 2>/dev/null && (($(date +%s) < deadline)); do
      if [[ "$(api /healthz | "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["ready"])' 2>/dev/null)" == True ]]; then
        pass $step "$wamd on $base_url (spool source, $(basename "$model"), method gradient)"
        return 0
      fi
      sleep 0.25
    done
    if kill -0 "$wamd_pid" 2>/dev/null; then
      fail $step "wamd did not report ready on /healthz within $start_timeout s" "$(tail -20 "$scratch/wamd.log")"
      return 1
    fi
    wait "$wamd_pid" 2>/dev/null || true
    wamd_pid=
    grep -q 'port is in use' "$scratch/wamd.log" || break
    log "port $port was taken meanwhile; trying another"
  done
  fail $step "wamd exited during start" "$(tail -20 "$scratch/wamd.log")"
  return 1
}

# Drops the sample into the spool the way producers should (written under a dot-name, which the
# watcher ignores, then renamed into place) and waits until it is done and every window that
# passed the gates is explained: done/NAME exists, the explanation queue is empty, and the
# explained windows are listed.
feed_sample() {
  local step=feed name deadline state=
  name=$(basename "$sample")
  cp "$sample" "$scratch/spool/.$name.part"
  # wamd stamps a spool file's windows from its modification time (the end of the recording): a
  # fixed one gives the same window times and ids in every run, so schemathesis, which also draws
  # on values from responses, sends the same requests every run.
  touch -d "$recording_end" "$scratch/spool/.$name.part"
  mv "$scratch/spool/.$name.part" "$scratch/spool/$name"
  deadline=$(($(date +%s) + feed_timeout))
  while (($(date +%s) < deadline)); do
    kill -0 "$wamd_pid" 2>/dev/null || { fail $step "wamd exited while reading $name" "$(tail -20 "$scratch/wamd.log")"; return 1; }
    if [[ -e "$scratch/spool/done/$name" ]]; then
      state=$(api /healthz | "$venv/bin/python" -c '
import json, sys
c = json.load(sys.stdin)["components"]
print(c["source"]["windows_classified"], c["explainer"]["windows_explained"], c["explainer"]["queue_depth"])' 2>/dev/null || true)
      read -r classified explained queued <<<"${state:-0 0 1}"
      if ((queued == 0 && explained > 0)) && [[ "$(api '/api/v1/windows?kind=explained&limit=1')" == *'"id"'* ]]; then
        pass $step "$name: $classified windows classified, $explained explained"
        return 0
      fi
    fi
    sleep 0.5
  done
  fail $step "$name not classified and explained within $feed_timeout s (classified, explained, queued: ${state:-?})" \
    "$(find "$scratch/spool" -type f; tail -20 "$scratch/wamd.log")"
  return 1
}

# --- The spec under test ------------------------------------------------------------------------

# Docs/openapi.yaml, specialised for this daemon in two places that depend on the model and the
# data, which the spec can only describe in words (responses are left exactly as documented):
# - `class` of GET /api/v1/windows: the model's labels (from /api/v1/info) as an enum. The spec
#   says a label of the model; any other string is refused with 400, so without this a generated
#   "valid" string would be expected to succeed.
# - the window id: examples naming real windows (explained ones from /api/v1/windows), so that the
#   examples phase fetches real documents, audio and scalograms and checks them; the fuzzing phase
#   still generates ids of the documented grammar (mostly 404) and malformed ones (400).
# - Last-Event-ID of /api/v1/events: examples the daemon has reached ("0", all it holds, and a
#   sequence in the middle), so that the stream replays held events at once and each is checked
#   against the spec. Generated strings are almost never such a number, and the spool is idle
#   during the run: without these no event would reach the checks.
specialise_spec() {
  local step=spec out=$scratch/openapi.yaml note
  if ! note=$(api /api/v1/info >"$scratch/info.json" && api '/api/v1/windows?limit=2000' >"$scratch/windows.json" &&
      "$venv/bin/python" - "$spec" "$scratch/info.json" "$scratch/windows.json" "$out" <<'EOF'
import json, sys, yaml
spec_path, info_path, windows_path, out_path = sys.argv[1:]
spec = yaml.safe_load(open(spec_path))
labels = json.load(open(info_path))["model"]["classes"]
windows = json.load(open(windows_path))["windows"]  # newest first
ids = [w["id"] for w in windows if "id" in w]
for parameter in spec["paths"]["/api/v1/windows"]["get"]["parameters"]:
    if parameter["name"] == "class":
        parameter["schema"] = {"type": "string", "enum": labels}
window_id = spec["components"]["parameters"]["WindowID"]
# the newest, the oldest and one between: three different stems
picked = sorted({ids[0], ids[len(ids) // 2], ids[-1]}) if ids else []
window_id["examples"] = {f"window{i}": {"value": value} for i, value in enumerate(picked)}
sequences = ["0", str(windows[len(windows) // 2]["sequence"])] if windows else []
for parameter in spec["paths"]["/api/v1/events"]["get"]["parameters"]:
    if parameter["name"] == "Last-Event-ID":
        parameter["examples"] = {f"seen{s}": {"value": s} for s in sequences}
yaml.safe_dump(spec, open(out_path, "w"), sort_keys=False, allow_unicode=True)
print(f"class: {len(labels)} labels; Last-Event-ID examples: {', '.join(sequences)}; window id examples: {', '.join(picked)}")
EOF
  ); then
    fail $step "could not specialise $spec" "$note"; return 1
  fi
  pass $step "$note"
}

# --- Real uploads -------------------------------------------------------------------------------

# The success path of POST /api/v1/explain, which generated bodies (random bytes) practically never
# reach: a real recording, sent the three documented ways, each answer checked by schemathesis's
# checks (status documented, content type, UploadResult schema, ...) as in the run.
check_uploads() {
  local step=uploads note
  if note=$("$venv/bin/python" - "$scratch/openapi.yaml" "$base_url" "$upload_sample" 2>&1 <<'EOF'
import sys
import schemathesis
spec, base_url, sample = sys.argv[1:]
schema = schemathesis.openapi.from_path(spec)
schema.config.update(base_url=base_url)
operation = schema["/api/v1/explain"]["POST"]
audio = open(sample, "rb").read()
# (how, media type of the spec, body, Content-Type sent instead of the media type, query)
ways = [
    ("raw audio/wav", "application/octet-stream", audio, "audio/wav", {"window": 0}),
    ("raw application/octet-stream", "application/octet-stream", audio, None, {}),
    ("multipart/form-data", "multipart/form-data", {"file": audio}, None, {}),
]
done = []
for how, media_type, body, content_type, query in ways:
    case = operation.Case(body=body, media_type=media_type, query=query)
    response = case.call(headers={"Content-Type": content_type} if content_type else None)
    try:
        case.validate_response(response)
    except Exception as failure:
        sys.exit(f"{how}: {failure}")
    windows = len(response.json()["windows"])
    if response.status_code != 200 or windows == 0:
        sys.exit(f"{how}: status {response.status_code}, {windows} windows explained: {response.text[:300]}")
    done.append(f"{how} {response.status_code} ({windows} window)")
print(", ".join(done))
EOF
  ); then
    pass $step "$(basename "$upload_sample"): $note"
  else
    fail $step "an upload of $(basename "$upload_sample") failed" "$note"
  fi
}

# --- schemathesis -------------------------------------------------------------------------------

run_schemathesis() {
  local step=schemathesis status=0 st_log=$scratch/schemathesis.log repo=$PWD
  log "schemathesis: ${examples:-the configured number of} examples per operation, all checks"
  # In the scratch folder: schemathesis writes its reports (and would write .hypothesis/) to the
  # working directory. In the background, with `wait`, so that a signal to this script runs its
  # trap at once (which stops schemathesis through timeout, then wamd); --foreground keeps
  # schemathesis in this process group, so that Ctrl-C reaches it too.
  {
    (cd "$scratch" && PYTHONHASHSEED=0 exec timeout --foreground --kill-after=10 "$schemathesis_timeout" \
        "$venv/bin/schemathesis" --no-color --config-file "$repo/$st_config" run "$scratch/openapi.yaml" \
        --url "$base_url" ${examples:+--max-examples "$examples"} \
        --report junit,ndjson --report-dir "$scratch/reports") 2>&1 &
    echo $! >"$scratch/schemathesis.pid"
    wait $! && echo 0 >"$scratch/schemathesis.status" || echo $? >"$scratch/schemathesis.status"
  } | tee "$st_log" &
  st_pipeline=$!
  wait "$st_pipeline" || true
  st_pipeline=
  status=$(cat "$scratch/schemathesis.status" 2>/dev/null || echo 1)
  local tested cases failures
  tested=$(sed -n 's/^ *Tested: *\([0-9]*\).*/\1/p' "$st_log" | tail -1)
  cases=$(sed -n 's/^ *\([0-9]*\) generated.*/\1/p' "$st_log" | tail -1)
  failures=$(sed -n 's/^=* *\([0-9]*\) failures*[ ,].*/\1/p' "$st_log" | tail -1)
  if ((status == 124 || status == 137)); then
    fail $step "schemathesis did not finish within $schemathesis_timeout s (a hanging request?)"
  elif ((status != 0)); then
    fail $step "${failures:-?} failures (exit status $status) in ${tested:-?} operations, ${cases:-?} test cases; see FAILURES above" \
      "$(failure_digest)"
  else
    pass $step "${tested:-?} operations, ${cases:-?} test cases, no failure"
  fi
}

# One line per kind of failure in the JUnit report: check, operations, known bug if it is one.
failure_digest() {
  "$venv/bin/python" - "${known[@]}" "$scratch"/reports/junit*.xml <<'EOF' 2>&1 || true
import re, sys, xml.etree.ElementTree as ElementTree
*known, report = sys.argv[1:]
known = [entry.split("|", 2) for entry in known]
kinds = {}  # (code, title, known note) -> operations
for case in ElementTree.parse(report).getroot().iter("testcase"):
    for failure in case.iter("failure"):
        for code, title, detail in re.findall(r"^- (ST\d+) (.*)\n\n(.*(?:\n.*){0,6})", failure.text or "", re.M):
            note = next((n for c, text, n in known if c == code and text in detail), "")
            kinds.setdefault((code, title, note), []).append(case.get("name"))
for (code, title, note), operations in kinds.items():
    print(f"{code} {title}: {', '.join(operations)}" + (f" [{note}]" if note else " [NEW]"))
EOF
}

# After the run wamd must still be up, healthy and ready, and its log free of errors: a request
# that crashed or wedged the daemon, or made it log an error, is a server bug even when its own
# response looked fine.
check_wamd_after() {
  local code
  if ! kill -0 "$wamd_pid" 2>/dev/null; then
    fail wamd-alive "wamd exited during the tests" "$(tail -30 "$scratch/wamd.log")"
  else
    code=$(curl -s -m 10 -o "$scratch/healthz.json" -w '%{http_code}' "$base_url/healthz" || true)
    if [[ "$code" == 200 ]]; then
      pass wamd-alive "/healthz 200 after the tests"
    else
      fail wamd-alive "/healthz answered ${code:-nothing} after the tests" "$(cat "$scratch/healthz.json" 2>/dev/null)"
    fi
  fi
  local status=0
  stop_wamd || status=$?
  if ((status == 0)); then pass wamd-stop "exit status 0 after SIGTERM"; else fail wamd-stop "exit status $status after SIGTERM" "$(tail -20 "$scratch/wamd.log")"; fi
  local errors
  errors=$(grep -E '^[^ ]+ (error|critical) ' "$scratch/wamd.log" || true)
  if [[ -z "$errors" ]]; then
    pass wamd-log "no error or critical line in wamd's log"
  else
    fail wamd-log "$(wc -l <<<"$errors") error or critical lines in wamd's log" "$(head -20 <<<"$errors")"
  fi
}

# --- Run ----------------------------------------------------------------------------------------

scratch=$(mktemp -d /tmp/wam-check-api.XXXXXX)
prepare_venv
pass venv "$("$venv/bin/schemathesis" --version), Python $("$venv/bin/python" -c 'import platform; print(platform.python_version())')"
if start_wamd && feed_sample && specialise_spec; then
  run_schemathesis
  check_uploads                      # after: uploads are stamped with the time they are made
  check_wamd_after
fi
finished=1
summary
