#!/usr/bin/env bash
# Runs the Slurm recipe (Deploy/slurm/wam-array.sbatch) on a real single-node Slurm cluster:
# Debian's slurm-wlm and munge, started here on loopback (munged, slurmctld -D, slurmd -D with a
# generated slurm.conf), no systemd needed. Submits an array of 4 over a manifest of bundled and
# generated recordings (and one broken file), merges, and checks the result equals a single
# process's `wam batch` (every result file byte for byte, JSON without its timings and the shard
# that made it); then cancels one task of a second array mid-way, resubmits the array, and checks
# that nothing complete was redone and nothing is missing. Every step prints PASS or FAIL.
#
#   bash Tools/check-slurm.sh        # as root; `make check-slurm` does the same
#
# Environment:
#   WAM=PATH          the wam to run (default .build/debug/wam, built if missing)
#   WAM_SLURM_KEEP=1  keep the scratch folder (logs, outputs) after the run
set -euo pipefail
cd "$(dirname "$0")/.."
repository=$(pwd)

CHECK_NAME=check-slurm
# shellcheck source=Tools/check-results.sh
source Tools/check-results.sh

wam=${WAM:-$repository/.build/debug/wam}
if [[ ! -x $wam ]]; then
  log "building wam"
  swift build --product wam
fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  log "installing slurm-wlm and munge"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null
fi

work=$(mktemp -d /tmp/wam-slurm.XXXXXX)
chmod 755 "$work"
daemons=()
started_munge=0
cleanup() {
  local pid
  for pid in "${daemons[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${daemons[@]}"; do while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; done
  if ((started_munge)) && [[ -f /run/munge/munged.pid ]]; then kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true; fi
  if [[ -n ${WAM_SLURM_KEEP:-} ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# --- A single-node cluster -------------------------------------------------------------------------

log "starting munged, slurmctld and slurmd"
install -d -o munge -g munge -m 0755 /run/munge
if ! munge -n </dev/null >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged
  started_munge=1
fi
host=$(hostname -s)
read -r controller_port node_port < <(python3 -c '
import socket
sockets = [socket.socket() for _ in range(2)]
for s in sockets: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in sockets])')
mkdir -p "$work/state" "$work/spool"
export SLURM_CONF=$work/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=wamtest
SlurmctldHost=$host
SlurmctldPort=$controller_port
SlurmdPort=$node_port
SlurmUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MailProg=/bin/true
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
KillWait=5
MinJobAge=600
NodeName=$host CPUs=$(nproc) RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
setsid slurmctld -D -f "$SLURM_CONF" >"$work/slurmctld.log" 2>&1 </dev/null &
daemons+=($!)
setsid slurmd -D -f "$SLURM_CONF" >"$work/slurmd.log" 2>&1 </dev/null &
daemons+=($!)
for _ in $(seq 1 120); do
  [[ "$(sinfo -h -N -o %T 2>/dev/null)" == idle ]] && break
  sleep 0.5
done
if [[ "$(sinfo -h -N -o %T 2>/dev/null)" == idle ]]; then
  pass cluster "slurmctld and slurmd on $host:$controller_port/$node_port, node idle"
else
  fail cluster "the node did not become idle" "$(tail -20 "$work/slurmctld.log" "$work/slurmd.log")"
  summary
  exit 1
fi

# --- Inputs ----------------------------------------------------------------------------------------

# Bundled clips, generated recordings of 3 to 10 s (tones and noise at 16 and 22.05 kHz) and one
# file that is not audio.
mkdir -p "$work/inputs"
python3 - "$work/inputs" <<'EOF'
import math, random, struct, sys, wave
random.seed(7)
for i, seconds in enumerate([3, 10, 4, 7, 5, 9, 6, 8]):
    rate = 16000 if i % 2 == 0 else 22050
    with wave.open(f"{sys.argv[1]}/generated-{i}.wav", "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(rate)
        tone = 220 * (i + 1)
        frames = (int(12000 * (0.6 * math.sin(2 * math.pi * tone * n / rate) + 0.4 * random.uniform(-1, 1)))
                  for n in range(seconds * rate))
        w.writeframes(b"".join(struct.pack("<h", f) for f in frames))
EOF
printf 'not audio\n' >"$work/inputs/broken.wav"
{
  for clip in piano stop drums chirp violin; do echo "$repository/Samples/audio/$clip.wav"; done
  echo "inputs/broken.wav"
  for i in 0 1 2 3 4 5 6 7; do echo "inputs/generated-$i.wav"; done
} >"$work/manifest.txt"
options=(--steps 4 --no-picture)

log "a single-process reference"
set +e
"$wam" batch --manifest "$work/manifest.txt" --out "$work/reference" "${options[@]}" >"$work/reference.log" 2>&1
status=$?
"$wam" batch merge "$work/reference" >>"$work/reference.log" 2>&1
set -e
if ((status == 1)) && grep -qs "broken.wav" "$work/reference/merged/failures.txt"; then
  pass reference "14 inputs, the broken one listed in failures.txt, exit status 1"
else
  fail reference "expected one failed input (exit status 1), got $status" "$(tail -20 "$work/reference.log")"
fi

# --- The recipe --------------------------------------------------------------------------------------

submit() {  # submit OUT: the recipe as an array of 4 over the manifest; prints the job id
  sbatch --parsable --array=0-3 --chdir="$work" --output="$work/%x-%A_%a.log" --export=ALL,WAM="$wam" \
    Deploy/slurm/wam-array.sbatch "$work/manifest.txt" "$1" "${options[@]}"
}

wait_for() {  # wait_for JOB: until no task of JOB is pending or running (at most 10 minutes)
  local _
  for _ in $(seq 1 1200); do
    [[ -z "$(squeue -h -j "$1" 2>/dev/null)" ]] && return 0
    sleep 0.5
  done
  return 1
}

task_states() {  # task_states JOB: "TASK STATE EXITCODE" per task
  scontrol show job -o "$1" | sed -n 's/.*ArrayTaskId=\([0-9]*\) .*JobState=\([A-Z_]*\) .*ExitCode=\([0-9:]*\).*/\1 \2 \3/p' | sort -n
}

# The files of two batches' results compared: bytes, JSON without timings and the making shard.
compare() {  # compare A B
  python3 - "$1" "$2" <<'EOF'
import json, os, sys
def load(root):
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            data = open(path, "rb").read()
            if name.endswith(".json") or name.endswith(".jsonl"):
                def clean(value):
                    if isinstance(value, dict):
                        return {k: clean(v) for k, v in value.items() if k not in ("seconds", "shard", "reused")}
                    if isinstance(value, list):
                        return [clean(v) for v in value]
                    return value
                data = [clean(json.loads(line)) for line in data.decode().splitlines() if line.strip()] if name.endswith(".jsonl") else clean(json.loads(data))
            files[os.path.relpath(path, root)] = data
    return files
a, b = load(sys.argv[1]), load(sys.argv[2])
problems = [f"only in {sys.argv[1]}: {k}" for k in sorted(a.keys() - b.keys())] + [f"only in {sys.argv[2]}: {k}" for k in sorted(b.keys() - a.keys())]
problems += [f"differs: {k}" for k in sorted(a.keys() & b.keys()) if a[k] != b[k]]
print("\n".join(problems[:20]) if problems else f"{len(a)} files equal")
sys.exit(1 if problems else 0)
EOF
}

log "submitting the recipe as an array of 4"
job=$(submit "$work/array")
if wait_for "$job"; then
  states=$(task_states "$job")
  if [[ $(grep -c COMPLETED <<<"$states") -eq 3 && $(grep -c 'FAILED 1:0' <<<"$states") -eq 1 ]]; then
    pass array "4 tasks: 3 completed, the one with the broken file exit 1"
  else
    fail array "unexpected task states" "$states"
  fi
else
  fail array "the array did not finish in 10 minutes" "$(squeue -j "$job")"
fi
if "$wam" batch merge "$work/array" >"$work/merge.log" 2>&1 && note=$(compare "$work/reference/results" "$work/array/results") \
  && cmp -s "$work/reference/merged/results.csv" "$work/array/merged/results.csv" \
  && cmp -s "$work/reference/merged/profiles.json" "$work/array/merged/profiles.json" \
  && cmp -s "$work/reference/merged/failures.txt" "$work/array/merged/failures.txt" \
  && compare "$work/reference/merged" "$work/array/merged" >/dev/null; then
  pass equal "merged array equals the single process: $note; results.csv, profiles.json, failures.txt byte for byte"
else
  fail equal "the merged array differs from the single process" "$(cat "$work/merge.log"; compare "$work/reference" "$work/array" || true)"
fi

log "a second array, one task cancelled mid-way"
job=$(submit "$work/retry")
# A running task whose shard is not finished, once something is complete; cancelled. Should it
# finish between the look and the cancel, another is taken.
victim=""
for _ in $(seq 1 1200); do
  running=$(squeue -h -j "$job" -t R -o %K 2>/dev/null || true)
  done_count=$( (find "$work/retry/results" -name result.json 2>/dev/null || true) | wc -l)
  for task in $running; do
    if ((done_count >= 1)) && [[ ! -f $work/retry/shards/shard-$task-of-4.jsonl ]]; then
      scancel "${job}_${task}" 2>/dev/null || true
      while [[ -n "$(squeue -h -j "${job}_${task}" -t R 2>/dev/null || true)" ]]; do sleep 0.2; done
      [[ ! -f $work/retry/shards/shard-$task-of-4.jsonl ]] && victim=$task
      break
    fi
  done
  [[ -n $victim || -z "$(squeue -h -j "$job" 2>/dev/null || true)" ]] && break
  sleep 0.2
done
wait_for "$job" || true
before=$(cd "$work/retry" && find results -name result.json -printf '%p %i %T@\n' | sort)
if [[ -n $victim && ! -f $work/retry/shards/shard-$victim-of-4.jsonl ]] && ! "$wam" batch merge "$work/retry" >/dev/null 2>&1; then
  pass cancel "task $victim cancelled before its end: $(wc -l <<<"$before") inputs complete, merge refused"
else
  fail cancel "no task was cancelled mid-way (victim '${victim}')" "$(task_states "$job")"
fi

log "resubmitting the array"
job=$(submit "$work/retry")
wait_for "$job" || true
after=$(cd "$work/retry" && find results -name result.json -printf '%p %i %T@\n' | sort)
redone=$(comm -23 <(echo "$before") <(echo "$after"))
reused=$(cat "$work/retry/shards/"*.jsonl | grep -c '"reused":true' || true)
if [[ -z $redone ]] && ((reused == $(wc -l <<<"$before"))) && [[ -z "$(ls -A "$work/retry/.partial")" ]]; then
  pass resume "nothing complete redone ($reused reused), no partial left"
else
  fail resume "complete inputs were redone or partials left ($reused reused)" "$redone
$(ls -A "$work/retry/.partial")"
fi
if "$wam" batch merge "$work/retry" >"$work/merge-retry.log" 2>&1 && note=$(compare "$work/reference/results" "$work/retry/results") \
  && cmp -s "$work/reference/merged/results.csv" "$work/retry/merged/results.csv" \
  && cmp -s "$work/reference/merged/profiles.json" "$work/retry/merged/profiles.json"; then
  pass complete "after the resubmission nothing is missing: $note, merged results byte for byte"
else
  fail complete "the resubmitted array differs from the single process" "$(cat "$work/merge-retry.log"; compare "$work/reference" "$work/retry" || true)"
fi

summary
