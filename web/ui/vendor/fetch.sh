#!/usr/bin/env bash
# Fetches the UI's third-party libraries from the npm registry at pinned
# versions, checks each package tarball against its pinned sha256 and copies
# the built files the UI loads into this directory. The copies are committed,
# so building zbemu never needs the network; run this only to change a
# version (then update the hashes below and VERSIONS).
set -euo pipefail
cd "$(dirname "$0")"

registry=${NPM_REGISTRY:-https://registry.npmjs.org}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fetch NAME VERSION SHA256 DEST FILE...: FILEs are paths inside the tarball's package/ directory.
fetch() {
  local name=$1 version=$2 sum=$3 dest=$4
  shift 4
  local tgz="$tmp/$name-$version.tgz"
  curl -fsSL -o "$tgz" "$registry/$name/-/$name-$version.tgz"
  echo "$sum  $tgz" | sha256sum -c --quiet - || { echo "sha256 mismatch for $name@$version" >&2; exit 1; }
  mkdir -p "$dest"
  for f in "$@"; do
    tar -xzf "$tgz" -C "$tmp" "package/$f"
    cp "$tmp/package/$f" "$dest/$(basename "$f")"
  done
  tar -xzf "$tgz" -C "$tmp" package/LICENSE
  cp "$tmp/package/LICENSE" "$dest/LICENSE"
}

fetch echarts 5.6.0 e1b82487dd7f8d9f0438eec1f1433051148e0095ac7a15d4db890afda45cf610 echarts \
  dist/echarts.common.min.js
fetch codemirror 5.65.21 b26d9d7ae0f42e34b44a8f7667d29a3ab0d3df88d0e79c0dad39dc03ba43f6dc codemirror \
  lib/codemirror.js lib/codemirror.css mode/sql/sql.js addon/edit/matchbrackets.js addon/display/placeholder.js

# The hashes of what was copied, so a review sees any change to the built files.
find echarts codemirror -type f | sort | xargs sha256sum > SHA256SUMS
