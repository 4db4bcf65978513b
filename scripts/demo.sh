#!/usr/bin/env bash
# The Echo demo: builds what it needs, brings the topology up, opens the CLI, and brings the
# topology down when the CLI exits (empty line, Ctrl+D or Ctrl+C).
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
trap '"$here/troupe" down' EXIT
"$here/troupe" up
"$here/cli-client" "$@"
