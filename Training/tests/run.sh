#!/usr/bin/env bash
# wamtrain's tests (Training/tests/test_wamtrain.py) in a virtual environment of the pinned
# Training/requirements.txt, cached in /var/cache/wam-check-training (WAMTRAIN_CACHE=DIR for
# another place): training on generated sounds, the exported model in wam (model info, explain,
# eval) and wamd, reproducibility, and the dataset mistakes. About two minutes, plus one or two minutes
# the first time for the environment.
#
#   bash Training/tests/run.sh [WAM]   # wamd beside it; `make check-training` builds the debug ones
set -euo pipefail
cd "$(dirname "$0")/../.."
CHECK_NAME=check-training
python=${PYTHON:-python3}
requirements=Training/requirements.txt
cache_dir=${WAMTRAIN_CACHE:-/var/cache/wam-check-training}
source Tools/check-results.sh
source Tools/python-venv.sh
prepare_venv
wam=$(realpath "${1:-.build/debug/wam}")
for binary in "$wam" "$(dirname "$wam")/wamd"; do
  [[ -x $binary ]] || { echo "check-training: no $binary (run swift build first)" >&2; exit 1; }
done
WAM=$wam "$venv/bin/python" -m unittest discover -v -s Training/tests
