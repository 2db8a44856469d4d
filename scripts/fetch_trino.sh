#!/usr/bin/env bash
# Fetch the Trino server the tests start (tests/trino_server.py): Maven Central through
# `mvn dependency:copy` (downloads cached in ~/.m2), unpacked once into a cache folder outside
# the checkout.  Only the core server and the two plugins the tests use (memory, hive): the
# full server tarball is four times larger and loads every connector at start-up.
#
#   bash scripts/fetch_trino.sh        # prints the install folder
#
# 476 is the last release whose server tarball and plugin zips are on Maven Central; it needs
# Java 24 or newer to run (not to fetch).  Without Maven this says so and exits 0: the Trino
# tests then skip, naming what is missing (and fail under CI=true).
set -euo pipefail
VERSION=${TRAILCREATOR_TRINO_VERSION:-476}
CACHE=${TRAILCREATOR_TRINO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/trailcreator-trino}
DEST="$CACHE/trino-server-$VERSION"

if [ -f "$DEST/.complete" ]; then
  echo "$DEST"
  exit 0
fi
if ! command -v mvn >/dev/null 2>&1; then
  echo "fetch_trino: Maven (mvn) not found: the Trino tests will skip" >&2
  exit 0
fi

mkdir -p "$CACHE"
DL=$(mktemp -d "$CACHE/download.XXXXXX")
trap 'rm -rf "$DL"' EXIT
for artifact in trino-server-core:tar.gz trino-memory:zip trino-hive:zip; do
  mvn -q -B -Dstyle.color=never dependency:copy -Dartifact="io.trino:${artifact%%:*}:$VERSION:${artifact#*:}" \
      -DoutputDirectory="$DL" >&2
done

# Unpack beside the final folder and rename it into place: a killed fetch leaves no half install.
tar xzf "$DL/trino-server-core-$VERSION.tar.gz" -C "$DL"
SERVER="$DL/trino-server-core-$VERSION"
# the core tarball's own plugins (geospatial, python functions, exchange...) are not used
find "$SERVER/plugin" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
for plugin in memory hive; do
  unzip -q "$DL/trino-$plugin-$VERSION.zip" -d "$DL"
  mv "$DL/trino-$plugin-$VERSION" "$SERVER/plugin/$plugin"
done
touch "$SERVER/.complete"
rm -rf "$DEST"
mv "$SERVER" "$DEST"
echo "$DEST"
