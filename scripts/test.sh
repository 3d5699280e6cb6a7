#!/usr/bin/env bash
# Set up and run the whole test suite on a fresh machine (this is what CI runs).
#   bash scripts/test.sh            # all tests (slow ones included)
#   bash scripts/test.sh -m "not slow"   # extra args go to pytest
# Before pytest: ruff (lint + format check) and lint-imports (the layer contract in pyproject.toml).
set -euo pipefail
cd "$(dirname "$0")/.."

# system programs some tests drive: Graphviz's `dot` (graph rendering), Chromium (demo e2e)
need=()
command -v dot >/dev/null 2>&1 || need+=(graphviz)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# a venv of its own, with the package and its test extra (torch==2.13.0, CPU wheel)
VENV="${VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]'

# the house's checks: lint, format, the architecture contract (pyproject.toml), then the tests
"$VENV/bin/ruff" check --quiet .
"$VENV/bin/ruff" format --check --quiet .
"$VENV/bin/lint-imports" --no-cache >/dev/null || "$VENV/bin/lint-imports" --no-cache
exec "$VENV/bin/python" -m pytest -q "$@"
