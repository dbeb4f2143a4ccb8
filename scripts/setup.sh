#!/usr/bin/env bash
# Create ./.venv and install coder with everything it needs.
# The CPU build of torch is installed first: a plain `torch` requirement
# would otherwise pull gigabytes of CUDA packages.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
pip_install() {
    # this machine's pip config lists local indexes that may not exist; their warnings are noise
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "$@" 2> >(grep -v "^WARNING: Location" >&2)
}
pip_install --upgrade "pip>=23.2"
pip_install "torch==2.13.0"
pip_install -e ".[test]"
