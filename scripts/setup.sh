#!/usr/bin/env bash
# Installs every Debian package Refrain needs and builds the `refrain` executable in release mode.
# Idempotent: packages already present are not reinstalled, and SwiftPM rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  pkg-config
  libfftw3-dev        # FFT
  libopenblas-dev     # BLAS (matrix products, cost matrices)
  libsndfile1-dev     # decoding WAV, FLAC, OGG/Vorbis, MP3
  libsoxr-dev         # resampling
  libpng-dev          # plots
  libfluidsynth-dev   # rendering MIDI to audio
  fluid-soundfont-gm  # a General MIDI soundfont for rendering
  timgm6mb-soundfont  # a second, smaller GM soundfont: queries rendered with other timbres
  fluidr3mono-gm-soundfont  # training material for the learned encoders (scripts/train/)
  csound-soundfont    # training material for the learned encoders (scripts/train/)
  libhnswlib-dev      # approximate nearest neighbours (header-only C++)
  libsqlite3-dev      # the index catalog (GRDB)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

swift build -c release --product refrain
swift build -c release --product refrain-bench
echo "setup: built $(pwd)/.build/release/refrain"
