#!/usr/bin/env bash
# The page in a real browser: installs Debian's chromium and chromium-driver (and selenium in a venv under
# .cache/), then runs scripts/browser/test_page.py against `refrain serve` on loopback. Screenshots and logs go
# to test-artifacts/browser/. Needs the release build (scripts/setup.sh). Bounded: 15 minutes at most.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
python3 -c "import venv, ensurepip" 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  echo "browser: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

venv=.cache/browser-venv
if ! "$venv/bin/python" -c "import selenium" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "selenium>=4.20,<5"
fi

timeout --kill-after=30 900 "$venv/bin/python" scripts/browser/test_page.py --refrain .build/release/refrain "$@"
