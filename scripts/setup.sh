#!/usr/bin/env bash
# Create .venv (if missing) and install trailcreator into it, editable, with its test and
# athena extras (the athena extra lets the tests compile the dbt project for Athena).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test,athena]'
