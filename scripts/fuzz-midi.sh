#!/usr/bin/env bash
# Fuzz the MIDI reader with libFuzzer for N seconds (default 60). Builds Fuzz/ (a separate package, since
# libFuzzer brings its own main), seeds a corpus from the test MIDI files and ../shared/corpus, and exits
# non-zero when libFuzzer finds a crash, a leak, a timeout or an out-of-memory input.
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/Fuzz"
swift build -c release -Xswiftc -sanitize=fuzzer,address >&2
binary="$(swift build -c release -Xswiftc -sanitize=fuzzer,address --show-bin-path)/MIDIReaderFuzz"
work="$root/.build-fuzz"
mkdir -p "$work/corpus" "$work/artifacts"
find "$root/Tests/Fixtures/midi" -name '*.mid' -exec cp {} "$work/corpus/" \;
if [ -d "$root/../shared/corpus" ]; then
  ls "$root/../shared/corpus"/*.mid | head -40 | xargs -I{} cp {} "$work/corpus/"
fi
echo "fuzzing for ${seconds} s with $(ls "$work/corpus" | wc -l) seeds" >&2
"$binary" "$work/corpus" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$work/artifacts/" -print_final_stats=1
