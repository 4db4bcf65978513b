#!/usr/bin/env bash
# The Echo demo: builds what it needs, brings the topology up, opens the CLI, and when the CLI exits
# (empty line, Ctrl+D or Ctrl+C) stops what it started itself. A topology that was already up (the
# same run directory and ports: TROUPE_RUN_DIR...) is used and left up, as are any of its services
# that were running.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib/common.sh"
source "$here/lib/services.sh"

already_running=" "
for service in "${TROUPE_SERVICES[@]}"; do
  troupe_service_running "$service" && already_running+="$service "
done

stop_what_this_demo_started() {
  local i service
  for ((i = ${#TROUPE_SERVICES[@]} - 1; i >= 0; i--)); do
    service=${TROUPE_SERVICES[$i]}
    case "$already_running" in
      *" $service "*) ;;
      *) troupe_service_running "$service" && "$here/troupe" stop "$service" ;;
    esac
  done
  return 0
}
trap stop_what_this_demo_started EXIT

"$here/troupe" up
"$here/cli-client" "$@"
