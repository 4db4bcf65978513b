#!/usr/bin/env bash
# Runs Troupe's tests, in two tiers:
#   scripts/test.sh         the full tier, what CI runs (.ci/run): Maven's unit, in-process gRPC, in-JVM
#                           multi-node and semantics tests, the real multi-JVM system tests (the *IT
#                           classes of system-tests, which start topologies with scripts/troupe), then
#                           the Python client's unit tests, then the contract's checks (buf lint, and
#                           buf breaking against the released contract: scripts/check-contract.sh).
#   scripts/test.sh --fast  the same without the real multi-JVM system tests (Maven's -DskipITs).
# Usage: scripts/test.sh [--fast] [extra maven args, e.g. -pl runtime -Dtest=SmokeTest]
# Extra Maven arguments choose which Maven tests run, so the Python tests are left out then.
# The Python tests run whatever Maven's result; both results are reported at the end, and the exit
# code is non-zero when any failed. They need Debian's python3-grpcio and python3-grpc-tools
# (.ci/run installs them); without those they are skipped, and in CI that is a failure. The contract's
# checks need npm (to install the buf CLI once); without it they are skipped, and in CI that is a failure.
# Settings: TROUPE_PYTHON  the Python with grpcio to run them with (default: /usr/bin/python3)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

tier=full
if [ "${1:-}" = --fast ]; then
  tier=fast
  shift
fi
python=${TROUPE_PYTHON:-/usr/bin/python3}

troupe_find_jdk
echo "troupe: $tier tier, testing with $("$TROUPE_JAVA" -version 2>&1 | head -n1) at $JAVA_HOME" >&2
cd "$TROUPE_ROOT"

maven_args=(-B verify)
[ "$tier" = fast ] && maven_args+=(-DskipITs)
[ "$tier" = full ] && troupe_playwright   # the Observer's browser test (ObserverIT) drives chromium with it
mvn "${maven_args[@]}" "$@" && maven_code=0 || maven_code=$?
if [ "$maven_code" = 0 ]; then
  maven_result="passed"
else
  maven_result="FAILED (mvn exit code $maven_code; see the Maven output above)"
fi

python_failed=0
if [ $# -gt 0 ]; then
  python_result="not run (extra Maven arguments were given)"
elif "$python" -c 'import grpc, grpc_tools' >/dev/null 2>&1; then
  out=$("$python" -m unittest discover -s clients/python/tests -t clients/python 2>&1) && python_code=0 || python_code=$?
  ran=$(echo "$out" | sed -n 's/^Ran \([0-9]*\) tests\{0,1\}.*/\1/p')
  if [ "$python_code" = 0 ]; then
    echo "$out" | tail -n 3
    python_result="${ran:-0} passed, 0 failed"
  else
    echo "$out"
    python_failed=1
    python_result="FAILED: $(echo "$out" | grep -E '^FAILED' | tail -n1) of ${ran:-?} (unittest exit code $python_code)"
  fi
elif [ "${CI:-}" = true ]; then
  python_failed=1
  python_result="FAILED: python3-grpcio is missing in CI; .ci/run should have installed it"
else
  python_result="skipped (install python3-grpcio python3-grpc-tools to run them)"
fi

contract_failed=0
if [ $# -gt 0 ]; then
  contract_result="not run (extra Maven arguments were given)"
elif command -v npm >/dev/null 2>&1; then
  if scripts/check-contract.sh; then
    contract_result="passed (buf lint, buf breaking against proto/released/troupe-v1.json)"
  else
    contract_failed=1
    contract_result="FAILED (see scripts/check-contract.sh's output above)"
  fi
elif [ "${CI:-}" = true ]; then
  contract_failed=1
  contract_result="FAILED: npm is missing in CI; .ci/run should have installed it"
else
  contract_result="skipped (install npm to run buf lint and buf breaking)"
fi

echo "troupe: $tier tier took $((SECONDS / 60)) min $((SECONDS % 60)) s"
echo "maven: $maven_result"
echo "python-client: $python_result"
echo "contract: $contract_result"
[ "$maven_code" = 0 ] && [ "$python_failed" = 0 ] && [ "$contract_failed" = 0 ]
