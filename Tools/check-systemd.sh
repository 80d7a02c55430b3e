#!/usr/bin/env bash
# Checks Systemd/wamd.service offline: `systemd-analyze verify` must pass with nothing on stderr
# (unknown keys only warn), and `systemd-analyze security --offline=yes` must rate the exposure
# 2.0 or lower. ExecStart is pointed at the built wamd so that verify can check it.
#
#   bash Tools/check-systemd.sh [PATH/TO/wamd]
set -euo pipefail
cd "$(dirname "$0")/.."
wamd=$(realpath "${1:-.build/debug/wamd}")
[[ -x "$wamd" ]] || { echo "check-systemd: $wamd is not built" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s|/usr/local/bin/wamd|$wamd|" Systemd/wamd.service > "$work/wamd.service"
if ! systemd-analyze verify "$work/wamd.service" 2>"$work/verify.err" || [[ -s "$work/verify.err" ]]; then
  echo "check-systemd: systemd-analyze verify failed:" >&2
  cat "$work/verify.err" >&2
  exit 1
fi
echo "check-systemd: verify clean"
exposure=$(systemd-analyze security --offline=yes "$work/wamd.service" 2>&1 | sed -n 's/.*Overall exposure level for wamd.service: \([0-9.]*\).*/\1/p')
echo "check-systemd: exposure $exposure"
awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 2.0) }' || { echo "check-systemd: exposure above 2.0" >&2; exit 1; }
