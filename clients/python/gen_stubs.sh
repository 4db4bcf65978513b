#!/usr/bin/env bash
# Generates the Python stubs of the Troupe contract (proto/src/main/proto) into
# clients/python/build/gen (git-ignored), when they are missing or older than the .proto files.
# Usage: clients/python/gen_stubs.sh [--force]
# Needs Debian's python3-grpcio and python3-grpc-tools (PYTHON, default /usr/bin/python3).
# google/rpc/status.proto is looked for as troupe_client/_codegen.py says (TROUPE_PROTO_INCLUDE first).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
exec "${PYTHON:-/usr/bin/python3}" -m troupe_client._codegen "$@"
