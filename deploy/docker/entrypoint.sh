#!/bin/sh
# Container entrypoint: `blockcast <service>` (or BLOCKCAST_SERVICE) runs that service's compiled
# JavaScript; exec so node is PID 1 and receives SIGTERM itself for its graceful shutdown.
set -eu
app_dir=$(dirname "$(readlink -f "$0")")
service=${1:-${BLOCKCAST_SERVICE:-}}
case "$service" in
  ingest | gateway | discovery | demo-chain | plugins) ;;
  *)
    echo "usage: <image> ingest|gateway|discovery|demo-chain|plugins (or set BLOCKCAST_SERVICE); got '${service}'" >&2
    exit 64
    ;;
esac
[ "$#" -gt 0 ] && shift
exec node --conditions=blockcast-dist "$app_dir/services/$service/dist/main.js" "$@"
