# A virtual environment of pinned Python packages, cached between runs, for the check scripts
# (check-api.sh, check-generated.sh). Sourced after check-results.sh (for log and fail) by a
# script that sets python (the interpreter), requirements (a pinned requirements file) and
# cache_dir; `prepare_venv` sets venv to the environment's folder.

# Creates $cache_dir/venv-KEY once (KEY: the requirements and the Python version) and removes
# environments of other keys. A venv cannot be renamed (its scripts name its folder), so an
# environment counts only once its stamp file exists: an interrupted install is redone. The lock
# is then held shared, so no other run removes the environment in use.
prepare_venv() {
  local key version
  command -v "$python" >/dev/null || { fail venv "no $python (set PYTHON)"; exit 1; }
  version=$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
  key=$( { cat "$requirements"; echo "$version"; } | sha256sum | cut -c1-16)
  venv=$cache_dir/venv-$key
  mkdir -p "$cache_dir"
  exec 9>"$cache_dir/.lock"
  flock -x 9
  if [[ ! -e "$venv/.complete" ]]; then
    log "creating the virtual environment $venv (Python $version, $requirements)"
    rm -rf "$venv"
    if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
      # Debian's own python3 has venv in a package of its own.
      if [[ "$(command -v "$python")" == /usr/bin/* ]] && command -v apt-get >/dev/null; then
        log "installing python3-venv"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
      fi
      rm -rf "$venv"
      "$python" -m venv "$venv"
    fi
    if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-input -r "$requirements" \
        >"$cache_dir/pip.log" 2>&1; then
      tail -20 "$cache_dir/pip.log" >&2
      fail venv "pip install -r $requirements failed (log: $cache_dir/pip.log)"
      exit 1
    fi
    touch "$venv/.complete"
    find "$cache_dir" -maxdepth 1 -name 'venv-*' ! -name "venv-$key" -exec rm -rf {} +
  else
    log "reusing the virtual environment $venv"
  fi
  flock -s 9
}
