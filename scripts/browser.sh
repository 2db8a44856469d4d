#!/usr/bin/env bash
# Headless Chromium and its chromedriver from Debian's packages, for the report's browser tests
# (tests/test_report_browser.py).  Idempotent: does nothing when both are installed.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver
chromium --version
