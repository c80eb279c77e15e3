#!/usr/bin/env bash
# The project's test command: set up (packages + release build), then run the whole test suite.
# Tests run against the release build (no @testable), so the DSP and alignment tests run at full speed
# and SwiftPM reuses the modules `scripts/setup.sh` already compiled.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
# NumPy lets the interop tests check that numpy reads the .npy files we write.
python3 -c "import numpy" 2>/dev/null || python3 -m pip install -q numpy

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
swift test -c release --disable-swift-testing "$@" 2>&1 | tee "$log" || status=$?
# One plain closing line for CI: "N passed, N failed", from XCTest's own summary.
summary=$(grep -E 'Executed [0-9]+ tests?, with [0-9]+ failures?' "$log" | tail -n 1 || true)
if [ -n "$summary" ]; then
  total=$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
  failed=$(echo "$summary" | sed -E 's/.*with ([0-9]+) failures?.*/\1/')
  echo "tests: $((total - failed)) passed, $failed failed"
fi
exit "$status"
