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

# a venv of its own, with the package and its test extra
VENV="${VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

# PyTorch's CPU build. On the public index, torch==2.13.0 for Linux is the CUDA build (gigabytes of
# CUDA wheels); PyTorch's own CPU index has 2.13.0+cpu. So: unless the pinned version is installed,
# ask pip what the configured indexes would install (a dry run reads only the metadata) and, if that
# is not a +cpu build, install torch from the CPU index first. Where pip's index already serves the
# CPU build (as in CI), no other index is contacted.
TORCH="$(grep -o 'torch==[0-9][0-9.]*' pyproject.toml | head -n 1)"  # the pin, e.g. torch==2.13.0
have="$("$PY" -c 'import importlib.metadata as m; print(m.version("torch"))' 2>/dev/null || true)"
if [ "$(uname -s)" = Linux ] && [ "${have%%+*}" != "${TORCH#torch==}" ]; then
  report="$(mktemp)"
  "${PIP[@]}" install -qq --dry-run --no-deps --ignore-installed --report "$report" "$TORCH" || true
  picked="$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["install"][0]["metadata"]["version"])' \
    "$report" 2>/dev/null || true)"
  rm -f "$report"
  case "$picked" in
    *+cpu) ;;  # the configured index serves the CPU build: '.[test]' below installs it
    "") echo "test.sh: could not ask pip which $TORCH it would install; going on" >&2 ;;
    *) "${PIP[@]}" install --quiet "$TORCH" --index-url https://download.pytorch.org/whl/cpu ;;
  esac
fi
"${PIP[@]}" install --quiet -e '.[test]'
"$PY" -c 'import importlib.metadata as m; print("torch", m.version("torch"))'  # "+cpu": no CUDA downloaded

# the house's checks: lint, format, the architecture contract (pyproject.toml), then the tests
"$VENV/bin/ruff" check --quiet .
"$VENV/bin/ruff" format --check --quiet .
"$VENV/bin/lint-imports" --no-cache >/dev/null || "$VENV/bin/lint-imports" --no-cache
exec "$PY" -m pytest -q "$@"
