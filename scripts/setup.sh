#!/usr/bin/env bash
# Create .venv (if missing) and install trailcreator into it, editable, with its test and
# athena and trino extras (the tests compile the dbt project for Athena and build it on Trino).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test,athena,trino]'
