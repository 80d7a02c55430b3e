# Step results for the check scripts (check-api.sh, check-systemd-live.sh), sourced by them after
# they set CHECK_NAME: `pass STEP [NOTE]` and `fail STEP SUMMARY [EVIDENCE]` record a step,
# `log` prints progress with the seconds since the start, and `summary` prints the table and
# returns non-zero when a step failed.

results=()           # "step|PASS or FAIL|note"
started=$(date +%s)

pass() {  # pass STEP [NOTE]
  printf 'PASS  %s%s\n' "$1" "${2:+: $2}"
  results+=("$1|PASS|${2:-}")
}

fail() {  # fail STEP SUMMARY [EVIDENCE]
  printf 'FAIL  %s: %s\n' "$1" "$2"
  [[ -n "${3:-}" ]] && sed 's/^/      | /' <<<"$3"
  results+=("$1|FAIL|$2")
}

log() { printf '==> %s (%ds)\n' "$*" $(($(date +%s) - started)); }

summary() {
  local line step result note failed=0 passed=0
  echo
  echo "$CHECK_NAME summary ($(($(date +%s) - started)) s):"
  printf '  %-28s %-6s %s\n' STEP RESULT NOTE
  for line in "${results[@]}"; do
    IFS='|' read -r step result note <<<"$line"
    if [[ $result == FAIL ]]; then failed=$((failed + 1)); else passed=$((passed + 1)); fi
    printf '  %-28s %-6s %s\n' "$step" "$result" "$note"
  done
  echo "$CHECK_NAME: $passed passed, $failed failed"
  ((failed == 0))
}
