#!/usr/bin/env bash
# Fuzz a parser of hostile files with libFuzzer: `scripts/fuzz.sh midi|hnsw|audio|npy [seconds]` (default 60 s).
#   midi  the MIDI reader (any bytes: a score or a RefrainError), seeded from the test MIDI files and
#         ../shared/corpus
#   hnsw  the HNSW graph loader of the C shim (any file: a graph that answers a search, or an error),
#         seeded with small graphs the harness writes itself
#   audio the audio decoder, from memory and from a file (any bytes: finite mono audio at 22050 Hz, or an
#         error), seeded with short WAV, FLAC, Ogg Vorbis and MP3 files the harness writes itself
#   npy   the .npy and .npz readers (any bytes: an array or archive members that write and read back equal, or
#         an error), seeded with arrays of every element type, Fortran-ordered, big-endian and version-2
#         files and an archive the harness writes itself, and the test fixtures NumPy wrote
# Builds Fuzz/ (a separate package, since libFuzzer brings its own main) with AddressSanitizer, the C++ shim
# instrumented for coverage too, and exits non-zero when libFuzzer finds a crash, a leak, a timeout or an
# out-of-memory input.
set -euo pipefail
target="${1:-midi}"
extra=()
seconds="${2:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/Fuzz"
flags=(-c release -Xswiftc -sanitize=fuzzer,address -Xcxx -fsanitize=fuzzer-no-link,address)
swift build "${flags[@]}" >&2
bin="$(swift build "${flags[@]}" --show-bin-path)"
work="$root/.build-fuzz/$target"
mkdir -p "$work/corpus" "$work/artifacts"
case "$target" in
  midi)
    binary="$bin/MIDIReaderFuzz"
    find "$root/Tests/Fixtures/midi" -name '*.mid' -exec cp {} "$work/corpus/" \;
    if [ -d "$root/../shared/corpus" ]; then
      # The first 40 pieces, without a pipe that `head` may close early (SIGPIPE under pipefail ended the run).
      pieces=("$root/../shared/corpus"/*.mid)
      cp "${pieces[@]:0:40}" "$work/corpus/"
    fi
    ;;
  hnsw)
    binary="$bin/HNSWLoadFuzz"
    "$binary" --seeds "$work/corpus"
    ;;
  audio)
    binary="$bin/AudioDecodeFuzz"
    "$binary" --seeds "$work/corpus"
    # libsndfile 1.2.0 leaks libvorbis's header state (about 11 KB) on some damaged Ogg files; that leak is
    # theirs and would stop every run within seconds, so leaks are not reported for this target.
    extra=(-detect_leaks=0)
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
    ;;
  npy)
    binary="$bin/NPYReaderFuzz"
    "$binary" --seeds "$work/corpus"
    cp "$root"/Tests/Fixtures/math/*.npy "$work/corpus/"
    ;;
  *) echo "usage: scripts/fuzz.sh midi|hnsw|audio|npy [seconds]" >&2; exit 2 ;;
esac
echo "fuzzing $target for ${seconds} s with $(ls "$work/corpus" | wc -l) seeds" >&2
"$binary" "$work/corpus" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$work/artifacts/" -print_final_stats=1 "${extra[@]}"
