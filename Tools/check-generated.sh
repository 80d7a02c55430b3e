#!/usr/bin/env bash
# Checks that the committed generated files are what their pinned generators produce: reruns
# Tools/make_wavelet_tables.py, make_font_table.py, make_wavelet_fixtures.py and
# make_sample_arrays.py (pinned in Tools/requirements-generate.txt, in a virtual environment
# cached in /var/cache/wam-generate) into a scratch copy, and compares: Swift sources byte for
# byte, arrays (.npy, the members of .npz) value for value. Exits 1, naming the file, on any
# difference. The engine fixtures, the sample models and onnx.pb.swift need torch, onnxruntime
# or protoc-gen-swift and are not rerun: Samples/models/*.md say how the models were made,
# Tools/make_onnx_swift.sh and Tools/make_engine_fixtures.py regenerate the others.
#
#   bash Tools/check-generated.sh      # `make check-generated`; needs fonts-dejavu-core
set -euo pipefail
cd "$(dirname "$0")/.."

cache_dir=${WAM_GENERATE_CACHE:-/var/cache/wam-generate}
python=${PYTHON:-python3}
requirements=Tools/requirements-generate.txt
CHECK_NAME=check-generated
# shellcheck source=Tools/check-results.sh
source Tools/check-results.sh
# shellcheck source=Tools/python-venv.sh
source Tools/python-venv.sh

font=/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf
if [[ ! -e $font ]] && command -v apt-get >/dev/null; then
  log "installing fonts-dejavu-core"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-dejavu-core >/dev/null
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/Tools"
cp Tools/make_*.py "$scratch/Tools/"

prepare_venv
run="$venv/bin/python"

# generated file | command (in the scratch copy, which the scripts' own paths point into)
checks=(
  "Sources/Wavelets/FilterTables.swift|$run $scratch/Tools/make_wavelet_tables.py > $scratch/Sources/Wavelets/FilterTables.swift"
  "Sources/Rendering/FontTable.swift|$run $scratch/Tools/make_font_table.py > $scratch/Sources/Rendering/FontTable.swift"
  "Tests/WaveletsTests/Fixtures|$run $scratch/Tools/make_wavelet_fixtures.py > /dev/null"
  "Samples/arrays/chirp.npy|$run $scratch/Tools/make_sample_arrays.py"
)
for check in "${checks[@]}"; do
  path=${check%%|*} command=${check#*|}
  mkdir -p "$scratch/$(dirname "$path")"
  if ! output=$(bash -c "$command" 2>&1); then
    fail "$path" "the generator failed" "$output"
    continue
  fi
  if difference=$("$run" - "$path" "$scratch/$path" <<'PY' 2>&1
import filecmp, os, sys
import numpy as np

committed, regenerated = sys.argv[1:]
if os.path.isdir(regenerated):
    names = sorted(os.path.relpath(os.path.join(d, f), regenerated) for d, _, fs in os.walk(regenerated) for f in fs)
    pairs = [(os.path.join(committed, n), os.path.join(regenerated, n)) for n in names]
else:
    pairs = [(committed, regenerated)]
def same(x, y):
    # Floating-point arrays within 1e-12 of the array's largest value: numpy's vectorised cos and
    # sin differ between CPUs (AVX2, AVX-512) in the last bits (8e-15 seen in the wavelet
    # fixtures' sketches on an AMD EPYC); anything a generator change makes is far larger.
    if x.shape != y.shape or x.dtype != y.dtype:
        return False
    if np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.complexfloating):
        scale = float(np.nanmax(np.abs(y))) if y.size and not np.all(np.isnan(y)) else 0.0
        return bool(np.array_equal(np.isnan(x), np.isnan(y)) and np.allclose(x, y, rtol=0, atol=1e-12 * scale, equal_nan=True))
    return bool(np.array_equal(x, y))
problems = []
for a, b in pairs:
    if not os.path.exists(a):
        problems.append(f"{a}: not committed")
    elif a.endswith(".npy"):
        if not same(np.load(a), np.load(b)):
            problems.append(f"{a}: values differ")
    elif a.endswith(".npz"):
        x, y = np.load(a), np.load(b)
        if sorted(x.files) != sorted(y.files):
            problems.append(f"{a}: members differ")
        else:
            problems += [f"{a}: {k} differs" for k in x.files if not same(x[k], y[k])]
    elif not filecmp.cmp(a, b, shallow=False):
        problems.append(f"{a}: differs from what the generator writes")
print("\n".join(problems[:20]))
sys.exit(1 if problems else 0)
PY
  ); then
    pass "$path" "as the generator writes it"
  else
    fail "$path" "differs from its generator's output" "$difference"
  fi
done
summary
