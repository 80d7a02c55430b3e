#!/usr/bin/env python3
"""Checks Deploy/kubernetes/wam-indexed-job.yaml for what wam batch's index contract needs, then
runs its container command once per index as Kubernetes would (JOB_COMPLETION_INDEX set, the
manifest's env, /data mapped to a scratch folder) and checks the merged shards equal one process.

    python3 Tools/check-kubernetes.py [WAM]     # `make check-kubernetes`; needs python3-yaml

WAM defaults to .build/debug/wam. Prints PASS or FAIL per check; exit status 1 on any FAIL.
"""
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import yaml

repository = pathlib.Path(__file__).resolve().parent.parent
wam = sys.argv[1] if len(sys.argv) > 1 else str(repository / ".build/debug/wam")
failures = 0


def check(name, ok, note=""):
    global failures
    print(f"{'PASS' if ok else 'FAIL'}  {name}{': ' + note if note else ''}")
    failures += 0 if ok else 1


job = yaml.safe_load((repository / "Deploy/kubernetes/wam-indexed-job.yaml").read_text())
spec = job.get("spec", {})
pod = spec.get("template", {}).get("spec", {})
containers = pod.get("containers", [])
container = containers[0] if containers else {}
env = {item["name"]: item.get("value") for item in container.get("env", [])}
command = container.get("command", [])
mounts = {mount["name"]: mount["mountPath"] for mount in container.get("volumeMounts", [])}
volumes = {volume["name"] for volume in pod.get("volumes", [])}

check("kind", job.get("apiVersion") == "batch/v1" and job.get("kind") == "Job", f"{job.get('apiVersion')} {job.get('kind')}")
check("indexed", spec.get("completionMode") == "Indexed", "completionMode: Indexed gives each pod JOB_COMPLETION_INDEX")
completions = spec.get("completions")
check("shard count", isinstance(completions, int) and env.get("WAM_SHARD_COUNT") == str(completions),
      f"WAM_SHARD_COUNT {env.get('WAM_SHARD_COUNT')} = completions {completions}")
check("parallelism", isinstance(spec.get("parallelism"), int) and 1 <= spec["parallelism"] <= (completions or 0))
check("retries per index", isinstance(spec.get("backoffLimitPerIndex"), int) and spec["backoffLimitPerIndex"] >= 1,
      f"backoffLimitPerIndex {spec.get('backoffLimitPerIndex')}")
check("restart policy", pod.get("restartPolicy") == "Never", "backoffLimitPerIndex needs restartPolicy: Never")
check("one container", len(containers) == 1 and container.get("name") == "wam")
check("command", command[:2] == ["wam", "batch"] and "--manifest" in command and "--out" in command
      and "--shard-index" not in command and "--shard-count" not in command, " ".join(command))
shared = [path for name, path in mounts.items() if name in volumes]
paths = [command[command.index(option) + 1] for option in ("--manifest", "--out") if option in command]
check("shared volume", bool(shared) and all(any(p.startswith(m.rstrip("/") + "/") for m in shared) for p in paths),
      f"{paths} on {shared}")
jobs = command[command.index("--jobs") + 1] if "--jobs" in command else "1"
cpu = str(container.get("resources", {}).get("requests", {}).get("cpu", ""))
check("cpu", cpu == jobs, f"requests.cpu {cpu} = --jobs {jobs}")
for rule in spec.get("podFailurePolicy", {}).get("rules", []):
    codes = rule.get("onExitCodes")
    if codes and rule.get("action") == "FailIndex":
        check("no retry when it cannot help", codes.get("operator") == "In" and codes.get("values") == list(range(1, 65)),
              "1-63 failed inputs and 64 (usage) fail the index; 101 and signals are retried")

# The pods, run here: /data is a scratch folder holding a manifest of the bundled clips.
if failures == 0:
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="wam-kubernetes."))
    try:
        mount = shared[0].rstrip("/")
        data = scratch / "data"
        data.mkdir()
        clips = sorted((repository / "Samples/audio").glob("*.wav"))[:6]
        manifest = pathlib.Path(paths[0].replace(mount, str(data), 1))
        manifest.write_text("".join(f"{clip}\n" for clip in clips))
        local = [wam] + [argument.replace(mount, str(data), 1) if argument.startswith(mount + "/") else argument for argument in command[1:]]
        fast = ["--steps", "4", "--no-picture"]
        statuses = []
        for index in range(completions):
            environment = {**os.environ, **env, "JOB_COMPLETION_INDEX": str(index)}
            result = subprocess.run(local + fast, env=environment, capture_output=True, text=True)
            statuses.append(result.returncode)
            if result.returncode != 0:
                print(result.stdout, result.stderr)
        check("pods", statuses == [0] * completions, f"{completions} indexes, exit statuses {statuses}")
        out = pathlib.Path(paths[1].replace(mount, str(data), 1))
        merged = subprocess.run([wam, "batch", "merge", str(out)], capture_output=True, text=True)
        single = subprocess.run([wam, "batch", "--manifest", str(manifest), "--out", str(scratch / "single")] + fast,
                                capture_output=True, text=True)
        subprocess.run([wam, "batch", "merge", str(scratch / "single")], capture_output=True, check=True)
        same = all((out / "merged" / name).read_bytes() == (scratch / "single/merged" / name).read_bytes()
                   for name in ("results.csv", "profiles.json", "failures.txt"))
        check("merged", merged.returncode == 0 and single.returncode == 0 and same,
              merged.stdout.strip() + ("; equal to one process" if same else "; DIFFERS from one process"))
    finally:
        shutil.rmtree(scratch)

print(f"check-kubernetes: {'all passed' if failures == 0 else f'{failures} failed'}")
sys.exit(1 if failures else 0)
