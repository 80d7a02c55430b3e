#!/usr/bin/env bash
# Regenerates everything Tools/samples makes, in order: dataset (git-ignored, Tools/data/), the four
# ONNX models with labels and cards (Samples/models/), the sample sounds (Samples/audio/), the image
# and volume samples (Samples/images/, Samples/volumes/) and the attribution fixtures
# (Tests/AttributionTests/Fixtures/). Seeded; about 45-60 minutes on 2 CPU cores, mostly training.
#
#   bash Tools/samples/make_all.sh                 # everything
#   bash Tools/samples/make_all.sh fixtures        # only the steps named: dataset audio audio-noisy
#                                                  #   images samples fixtures check
# Environment: PYTHON (default: .venv/bin/python if present, else python3), THREADS (default 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
THREADS=${THREADS:-2}
steps=("$@")
((${#steps[@]})) || steps=(dataset audio audio-noisy images samples fixtures check)

for tool in espeak-ng fluidsynth sox; do
  command -v "$tool" >/dev/null || { echo "make_all: $tool missing: bash Tools/setup-system.sh --samples" >&2; exit 1; }
done
[[ -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ]] || { echo "make_all: fluid-soundfont-gm missing" >&2; exit 1; }

for step in "${steps[@]}"; do
  echo "== make_all: $step ($(date +%T))"
  case "$step" in
    dataset)     "$PYTHON" Tools/samples/make_dataset.py ;;
    audio)       "$PYTHON" Tools/samples/train_audio.py --threads "$THREADS" ;;
    audio-noisy) "$PYTHON" Tools/samples/train_audio.py --noisy --threads "$THREADS" ;;
    images)      "$PYTHON" Tools/samples/train_image_volume.py --threads "$THREADS" ;;
    samples)     "$PYTHON" Tools/samples/make_sample_audio.py ;;
    fixtures)    "$PYTHON" Tools/samples/make_wam_fixtures.py ;;
    check)       "$PYTHON" Tools/samples/check_samples.py ;;
    *) echo "make_all: unknown step $step" >&2; exit 2 ;;
  esac
done
echo "== make_all: done ($(date +%T))"
