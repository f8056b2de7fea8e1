#!/usr/bin/env bash
# Builds, once per machine, prometheus and promtool from the Go module proxy, into
# ${BLOCKCAST_PROMETHEUS_CACHE:-~/.cache/blockcast-prometheus}/<version>/bin; prints that directory
# on its last line of stdout. Without the `builtinassets` tag the server has no web UI (its HTTP
# API, which the tests use, is all there); `remove_all_sd` leaves out the cloud service
# discoveries (static and file targets remain), which halves the compile.
set -euo pipefail

PROMETHEUS_MODULE_VERSION=v0.316.0 # Prometheus 3.16.0

cache_root="${BLOCKCAST_PROMETHEUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/blockcast-prometheus}"
bin="$cache_root/$PROMETHEUS_MODULE_VERSION/bin"
log() { printf '[prometheus-binaries] %s\n' "$*" >&2; }

if [ -x "$bin/prometheus" ] && [ -x "$bin/promtool" ]; then
  log "reusing $bin"
  echo "$bin"
  exit 0
fi
mkdir -p "$bin"
start=$SECONDS
version=$(go mod download -json "github.com/prometheus/prometheus@$PROMETHEUS_MODULE_VERSION" |
  sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' | xargs -I{} cat {}/VERSION)
log "building prometheus, promtool $version"
GOBIN="$bin.partial" nice -n 10 go install -trimpath -tags remove_all_sd \
  -ldflags "-s -w -X github.com/prometheus/common/version.Version=$version" \
  "github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS_MODULE_VERSION" \
  "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_MODULE_VERSION"
mv "$bin.partial"/* "$bin/"
rmdir "$bin.partial"
"$bin/prometheus" --version | sed -n 1p >&2
log "built in $((SECONDS - start)) s"
echo "$bin"
