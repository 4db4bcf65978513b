#!/usr/bin/env bash
# Runs every test of Troupe: unit, in-process gRPC, in-JVM multi-node, and real multi-JVM tests.
# Usage: scripts/test.sh [extra maven args, e.g. -pl runtime -Dtest=SmokeTest]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
troupe_find_jdk
echo "troupe: testing with $("$TROUPE_JAVA" -version 2>&1 | head -n1) at $JAVA_HOME" >&2
cd "$TROUPE_ROOT"
exec mvn -B verify "$@"
