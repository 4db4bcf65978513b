#!/usr/bin/env bash
# Builds Troupe (all modules, tests skipped) with a JDK >= 21 found on this machine.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
troupe_find_jdk
cd "$TROUPE_ROOT"
exec mvn -q -B -DskipTests package "$@"
