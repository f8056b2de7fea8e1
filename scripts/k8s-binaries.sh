#!/usr/bin/env bash
# Builds, once per machine, a Kubernetes control plane from the Go module proxy alone: kube-apiserver,
# kube-controller-manager, kube-scheduler and kubectl (k8s.io/kubernetes), etcd, kwok and kwokctl.
# The binaries are cached under ${BLOCKCAST_K8S_CACHE:-~/.cache/blockcast-k8s}/<versions>/bin; a
# second run reuses them. Prints that bin directory on its last line of stdout.
# About 15 min of compiling on 2 cores the first time; seconds after.
set -euo pipefail

K8S_VERSION=v1.34.4
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0

cache_root="${BLOCKCAST_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/blockcast-k8s}"
home="$cache_root/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION"
bin="$home/bin"
log() { printf '[k8s-binaries] %s\n' "$*" >&2; }

if [ -f "$bin/.complete" ]; then
  log "reusing $bin"
  echo "$bin"
  exit 0
fi
mkdir -p "$bin"
export GOFLAGS="${GOFLAGS:-} -mod=mod"

# A wrapper module in $1 with the given replace lines; the go command resolves the rest.
wrapper() {
  local dir="$1"
  shift
  rm -rf "$dir"
  mkdir -p "$dir"
  (
    cd "$dir"
    go mod init blockcast.local/build >/dev/null 2>&1
    for r in "$@"; do go mod edit -replace "$r"; done
  )
}

build_kubernetes() {
  # k8s.io/kubernetes requires its staging modules at v0.0.0 with replaces to ./staging, which
  # do not apply to a dependant: point each at the release that matches the server's version.
  local dir="$home/src/kubernetes" staging=v0${K8S_VERSION#v1} mods m
  mods=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" |
    sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p' |
    xargs sed -n 's#^\t\(k8s.io/[a-z-]*\) => ./staging/src/.*#\1#p')
  local replaces=()
  for m in $mods; do replaces+=("$m=$m@$staging"); done
  wrapper "$dir" "${replaces[@]}"
  local ldflags="" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1"
    ldflags+=" -X $pkg.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2) -X $pkg.gitTreeState=clean"
  done
  local cmds=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
  (
    cd "$dir"
    for c in "${cmds[@]}"; do go get -tool "k8s.io/kubernetes/cmd/$c@$K8S_VERSION"; done
    log "building ${cmds[*]} $K8S_VERSION"
    nice -n 10 go build -trimpath -ldflags "-s -w$ldflags" -o "$bin/" \
      "${cmds[@]/#/k8s.io/kubernetes/cmd/}"
  )
}

build_etcd() {
  # The server module replaces its sibling modules with ../ paths; require them at its release.
  local dir="$home/src/etcd" m replaces=()
  for m in api/v3 client/pkg/v3 client/v3 pkg/v3; do
    replaces+=("go.etcd.io/etcd/$m=go.etcd.io/etcd/$m@$ETCD_VERSION")
  done
  wrapper "$dir" "${replaces[@]}"
  (
    cd "$dir"
    go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    log "building etcd $ETCD_VERSION"
    nice -n 10 go build -trimpath -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3
  )
}

build_kwok() {
  log "building kwok, kwokctl $KWOK_VERSION"
  # KubeVersion: the release kwokctl configures the control plane for, the one built here.
  GOBIN="$bin" nice -n 10 go install -trimpath \
    -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${K8S_VERSION#v}" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
}

start=$SECONDS
[ -x "$bin/etcd" ] || build_etcd
[ -x "$bin/kwokctl" ] || build_kwok
[ -x "$bin/kube-apiserver" ] || build_kubernetes
"$bin/kube-apiserver" --version >&2
"$bin/etcd" --version | sed -n 1p >&2
touch "$bin/.complete"
log "built in $((SECONDS - start)) s"
echo "$bin"
