#!/usr/bin/env bash
# Builds bench/.venv-plots: matplotlib for bench/report/plot-peers.py. Idempotent: does nothing when the
# venv already holds exactly the pinned set.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/../.venv-plots"
requirements="$here/plots-requirements.txt"
python="${PYTHON:-python3}"

installed() {
  [ -x "$venv/bin/python" ] &&
    diff -q <(grep -v '^#' "$requirements" | tr 'A-Z_' 'a-z-' | sort) \
      <("$venv/bin/pip" freeze --all --exclude pip --exclude setuptools --exclude wheel | tr 'A-Z_' 'a-z-' | sort) >/dev/null
}

if installed; then
  echo "bench/.venv-plots is up to date"
  exit 0
fi
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --no-deps -r "$requirements"
"$venv/bin/python" -c 'import matplotlib; print("bench/.venv-plots: matplotlib", matplotlib.__version__)'
