#!/usr/bin/env bash
# Installs the Debian packages wam needs to build, test and run. Idempotent: packages already
# present are left alone, and apt is only touched when something is missing. Runs apt-get
# directly as root, through sudo otherwise.
#
#   bash Tools/setup-system.sh            # build, test and run
#   bash Tools/setup-system.sh --samples  # also what Tools/ needs to regenerate the samples
set -euo pipefail

packages=(
  pkg-config
  libopenblas-dev      # OpenBLAS: cblas_sgemm for convolutions and matrix products
  libsndfile1-dev      # libsndfile: reading and writing audio files
  libsoxr-dev          # libsoxr: resampling to the model's rate
  libasound2-dev       # ALSA: microphone capture
  libsystemd-dev       # sd_notify / journald helpers for wamd
  libpng-dev           # PNG scalograms
  libmosquitto-dev     # libmosquitto: wamd's MQTT client
  mosquitto mosquitto-clients   # a real broker and mosquitto_sub for the MQTT tests
  zlib1g-dev           # ZIP (.npz) through ZIPFoundation
  systemd              # systemd-analyze for the unit checks
  chromium             # headless browser for the live view's dashboard test
  curl openssl         # the live view's HTTPS test: a client and a certificate made on the spot
  time                 # GNU time: peak memory of wam in the tests
)
if [[ "${1:-}" == "--samples" ]]; then
  packages+=(espeak-ng fluidsynth fluid-soundfont-gm sox protobuf-compiler python3-venv)
fi

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
  echo "setup-system: all ${#packages[@]} packages present"
  exit 0
fi

as_root=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup-system: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
echo "setup-system: installing ${missing[*]}"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
