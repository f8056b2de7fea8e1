#!/usr/bin/env bash
# Compares the uWebSockets.js binaries the gateway may load with upstream's own binaries of the
# release each package claims (`upstreamRelease` in deploy/uws-binaries.json). Upstream
# (uNetworking/uWebSockets.js) tags every release on its binaries branch, so the tag's tree lists
# each .node file with its git object id, a SHA-1 over its bytes: a clone without blobs
# (--filter=blob:none, a few MB instead of the repository's ~580 MB) is enough to compare, and the
# installed file's `git hash-object` must equal it. Where the clone holds the blob too, its SHA-256
# is compared with the record as well.
#
#   scripts/check-uws-upstream.sh [--upstream URL_OR_GIT_DIR]
#
# --upstream  where upstream's repository is (default https://github.com/uNetworking/uWebSockets.js);
#             a local clone or mirror works too.
# Exits 0 when every recorded linux binary of such a package is byte-identical to upstream's, 1
# when one differs or upstream's release has no such file, 69 when upstream cannot be read.
set -euo pipefail
cd "$(dirname "$0")/.."

upstream=https://github.com/uNetworking/uWebSockets.js
while [ $# -gt 0 ]; do
  case "$1" in
    --upstream) upstream=$2; shift 2 ;;
    *) echo "usage: $0 [--upstream URL_OR_GIT_DIR]" >&2; exit 64 ;;
  esac
done
log() { printf '[uws-upstream] %s\n' "$*" >&2; }

# alias <TAB> release <TAB> file <TAB> recorded SHA-256, for each package that claims a release.
claims=$(node -e '
  const record = require("./deploy/uws-binaries.json");
  for (const [alias, p] of Object.entries(record.packages)) {
    if (!p.upstreamRelease) continue;
    for (const [file, hash] of Object.entries(p.binaries)) console.log([alias, p.upstreamRelease, file, hash].join("\t"));
  }')
if [ -z "$claims" ]; then
  log "no package in deploy/uws-binaries.json names an upstreamRelease"
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for release in $(cut -f2 <<<"$claims" | sort -u); do
  repo="$work/$release.git"
  # file:// so that a local path is cloned with the filter too, as a remote would be.
  source=$upstream
  [ -d "$upstream" ] && source="file://$(cd "$upstream" && pwd)"
  if ! git clone --quiet --bare --filter=blob:none --depth 1 --branch "$release" "$source" "$repo" 2>"$work/clone.log"; then
    log "cannot read release $release from $upstream:"
    sed 's/^/  /' "$work/clone.log" >&2
    exit 69
  fi
  log "$upstream $release: commit $(git -C "$repo" rev-parse "$release^{commit}")"
  while IFS=$'\t' read -r alias claimed file recorded; do
    [ "$claimed" = "$release" ] || continue
    installed="node_modules/$alias/$file"
    name=$(basename "$file")
    if [ "$(sha256sum "$installed" | cut -d' ' -f1)" != "$recorded" ]; then
      log "$alias/$file: installed file is not the recorded build (test/gateway/uws-binaries.test.ts)"
      failed=1
      continue
    fi
    theirs=$(git -C "$repo" ls-tree "$release" -- "$name" | awk '{print $3}')
    ours=$(git hash-object "$installed")
    if [ -z "$theirs" ]; then
      log "$alias/$file: upstream $release has no $name"
      failed=1
    elif [ "$theirs" != "$ours" ]; then
      log "$alias/$file: DIFFERS from upstream $release (git object $ours here, $theirs upstream)"
      failed=1
    else
      detail="git object $ours"
      if git -C "$repo" cat-file -e "$theirs" 2>/dev/null; then
        [ "$(git -C "$repo" cat-file blob "$theirs" | sha256sum | cut -d' ' -f1)" = "$recorded" ] ||
          { log "$alias/$file: upstream's bytes do not hash to the recorded SHA-256"; failed=1; continue; }
        detail+=", SHA-256 $recorded"
      fi
      log "$alias/$file: identical to upstream $release ($detail)"
    fi
  done <<<"$claims"
done
exit "$failed"
