#!/usr/bin/env bash
# Builds Troupe (all modules, tests skipped) with a JDK >= 21 found on this machine.
#
# Usage: scripts/build.sh [maven args]
#        scripts/build.sh --dist   also make the release, dist/troupe-VERSION.tar.gz: bin/ (troupe,
#                                  cli-client, demo), lib/ (each jar once, and each program's class
#                                  path as lib/MODULE.classpath), config/echo.yaml, examples/echo-lua/,
#                                  systemd/, README.md.
#                                  TROUPE_NO_BUILD=1 packs what is built; TROUPE_DIST_DIR puts it elsewhere.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
troupe_find_jdk
cd "$TROUPE_ROOT"

if [ "${1:-}" != --dist ]; then
  exec mvn -q -B -DskipTests package "$@"
fi

[ "${TROUPE_NO_BUILD:-}" = 1 ] || mvn -q -B -DskipTests package
version=$(sed -n '/<artifactId>troupe-parent<\/artifactId>/{n;s/.*<version>\(.*\)<\/version>.*/\1/p;q}' pom.xml)
[ -n "$version" ] || troupe_die "cannot read the version from pom.xml"
out="${TROUPE_DIST_DIR:-$TROUPE_ROOT/dist}"
name="troupe-$version"
stage="$out/$name"
rm -rf "$stage"
mkdir -p "$stage/bin/lib" "$stage/lib" "$stage/config" "$stage/systemd"

# lib/: every program's jars once; lib/MODULE.classpath: that program's own, in class path order.
for module in registry-service worker-launcher relay-service cli-client examples/echo; do
  artifact=$(basename "$module")
  [ "$module" = examples/echo ] && artifact=echo-example
  jar=$(troupe_jar "$module" "$artifact")
  [ -n "$jar" ] && [ -d "$module/target/lib" ] || troupe_die "$module is not built; run scripts/build.sh first"
  list="$stage/lib/$(basename "$module").classpath"
  basename "$jar" > "$list"
  [ -e "$stage/lib/$(basename "$jar")" ] || cp "$jar" "$stage/lib/"
  for dep in "$module"/target/lib/*.jar; do
    basename "$dep" >> "$list"
    [ -e "$stage/lib/$(basename "$dep")" ] || cp "$dep" "$stage/lib/"
  done
done

cp scripts/troupe scripts/cli-client "$stage/bin/"
cp scripts/demo.sh "$stage/bin/demo"
cp scripts/lib/common.sh scripts/lib/services.sh scripts/lib/proc.sh scripts/lib/keeper.sh "$stage/bin/lib/"
cp examples/echo/config/echo.yaml "$stage/config/"
mkdir -p "$stage/examples/echo-lua/src"
cp examples/echo-lua/src/* "$stage/examples/echo-lua/src/"
cp dist/systemd/*.service "$stage/systemd/"
cp dist/README.md "$stage/README.md"
tar -czf "$out/$name.tar.gz" -C "$out" "$name"
echo "troupe: made $out/$name.tar.gz ($(du -sh "$stage/lib" | cut -f1) of jars in lib/)"
