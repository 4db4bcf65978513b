#!/usr/bin/env bash
# Runs every test of Troupe: unit, in-process gRPC, in-JVM multi-node and real multi-JVM tests (Maven),
# then the Python client's unit tests (when Debian's python3-grpcio is installed; .ci/run installs it).
# Usage: scripts/test.sh [extra maven args, e.g. -pl runtime -Dtest=SmokeTest]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
troupe_find_jdk
echo "troupe: testing with $("$TROUPE_JAVA" -version 2>&1 | head -n1) at $JAVA_HOME" >&2
cd "$TROUPE_ROOT"
mvn -B verify "$@"

if [ $# -eq 0 ]; then
  if /usr/bin/python3 -c 'import grpc, grpc_tools' >/dev/null 2>&1; then
    out=$(/usr/bin/python3 -m unittest discover -s clients/python/tests -t clients/python 2>&1) || {
      echo "$out"
      echo "python-client: unit tests failed"
      exit 1
    }
    echo "$out" | tail -n 3
    ran=$(echo "$out" | sed -n 's/^Ran \([0-9]*\) tests\{0,1\}.*/\1/p')
    echo "python-client: ${ran:-0} passed, 0 failed"
  elif [ "${CI:-}" = true ]; then
    echo "python-client: python3-grpcio is missing in CI; .ci/run should have installed it" >&2
    exit 1
  else
    echo "python-client: skipped (install python3-grpcio python3-grpc-tools to run them)"
  fi
fi
