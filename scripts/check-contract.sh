#!/usr/bin/env bash
# Checks the public contract (proto/src/main/proto) with buf: `buf lint` (STANDARD rules) and
# `buf breaking` against the last released contract (proto/released/troupe-v1.json, FILE rules).
# Installs the buf CLI from npm (@bufbuild/buf) into .cache/buf on first use; needs npm, and the
# Maven build to have resolved proto-google-common-protos (for google/rpc/status.proto).
# Usage: scripts/check-contract.sh            check
#        scripts/check-contract.sh --release  make the current contract the released one (a new v1
#                                             release: additions only; a breaking change is a v2)
# Settings: TROUPE_BUF_VERSION (default 1.75.0)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$TROUPE_ROOT/proto"

version=${TROUPE_BUF_VERSION:-1.75.0}
buf="$TROUPE_ROOT/.cache/buf/node_modules/.bin/buf"
if [ ! -x "$buf" ] || [ "$("$buf" --version 2>/dev/null)" != "$version" ]; then
  command -v npm >/dev/null 2>&1 || troupe_die "check-contract: npm is needed to install the buf CLI (apt-get install npm)"
  echo "check-contract: installing buf $version from npm into .cache/buf" >&2
  mkdir -p "$TROUPE_ROOT/.cache/buf"
  npm install --prefix "$TROUPE_ROOT/.cache/buf" --no-audit --no-fund --silent "@bufbuild/buf@$version" >&2 \
    || troupe_die "check-contract: npm could not install @bufbuild/buf@$version"
fi

jar=$(find "${HOME}/.m2/repository/com/google/api/grpc/proto-google-common-protos" -name 'proto-google-common-protos-*.jar' \
  ! -name '*-sources.jar' 2>/dev/null | sort -V | tail -n1)
[ -n "$jar" ] || troupe_die "check-contract: proto-google-common-protos is not in ~/.m2; run the Maven build first"
rm -rf target/buf-deps && mkdir -p target/buf-deps
(cd target/buf-deps && unzip -q -o "$jar" 'google/rpc/status.proto')

if [ "${1:-}" = --release ]; then
  "$buf" build src/main/proto -o released/troupe-v1.json
  echo "check-contract: released/troupe-v1.json is now the released contract"
  exit 0
fi
"$buf" lint src/main/proto
"$buf" breaking src/main/proto --against released/troupe-v1.json
echo "check-contract: buf lint and buf breaking (against released/troupe-v1.json) passed"
