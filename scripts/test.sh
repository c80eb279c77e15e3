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
browser_log=$(mktemp)
trap 'rm -f "$log" "$browser_log"' EXIT
status=0
swift test -c release --disable-swift-testing "$@" 2>&1 | tee "$log" || status=$?

# The page in a real browser: headless Chromium drives `refrain serve` (upload, and the fake microphone).
# Skipped when the tests are filtered (arguments given) or REFRAIN_SKIP_BROWSER=1.
browser_passed=0; browser_failed=0
if [ $# -eq 0 ] && [ "${REFRAIN_SKIP_BROWSER:-0}" != "1" ]; then
  scripts/browser/run.sh 2>&1 | tee "$browser_log" || status=1
  line=$(grep -E '^browser: [0-9]+ passed, [0-9]+ failed' "$browser_log" | tail -n 1 || true)
  if [ -n "$line" ]; then
    browser_passed=$(echo "$line" | sed -E 's/browser: ([0-9]+) passed.*/\1/')
    browser_failed=$(echo "$line" | sed -E 's/.* ([0-9]+) failed/\1/')
  else
    browser_failed=1  # it did not get as far as running its checks
  fi
fi

# One plain closing line for CI: "N passed, N failed", from XCTest's own summary and the browser checks.
summary=$(grep -E 'Executed [0-9]+ tests?, with [0-9]+ failures?' "$log" | tail -n 1 || true)
if [ -n "$summary" ]; then
  total=$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
  failed=$(echo "$summary" | sed -E 's/.*with ([0-9]+) failures?.*/\1/')
  echo "tests: $((total - failed + browser_passed)) passed, $((failed + browser_failed)) failed"
fi
exit "$status"
