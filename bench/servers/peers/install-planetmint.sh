#!/usr/bin/env bash
# Builds bench/.venv-planetmint: Planetmint 2.5.3's WebSocket server for bench/servers/peers/planetmint.ts.
# Idempotent: does nothing when the venv already holds exactly the pinned set.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/../../.venv-planetmint"
requirements="$here/planetmint-requirements.txt"
python="${PYTHON:-python3}"

installed() {
  [ -x "$venv/bin/python" ] &&
    diff -q <(grep -v '^#' "$requirements" | tr 'A-Z_' 'a-z-' | sort) \
      <("$venv/bin/pip" freeze --all --exclude pip --exclude setuptools --exclude wheel | tr 'A-Z_' 'a-z-' | sort) >/dev/null &&
    "$venv/bin/python" -c 'import planetmint.web.websocket_server, transactions, ipld' 2>/dev/null
}

if installed; then
  echo "bench/.venv-planetmint is up to date"
  exit 0
fi
rm -rf "$venv"
"$python" -m venv "$venv"
# --no-deps: the node's own dependencies (Tarantool, Flask, the ABCI server) are not needed to serve the stream.
"$venv/bin/pip" install --quiet --no-deps -r "$requirements"
"$venv/bin/python" -c 'import planetmint.web.websocket_server, transactions, ipld'
echo "bench/.venv-planetmint: planetmint $("$venv/bin/pip" show planetmint | sed -n 's/^Version: //p')"
