#!/usr/bin/env bash
# The services of one run directory ($TROUPE_RUN_DIR) and how to find them: every service JVM and
# its keeper carry "-Dtroupe.run.dir=<the run directory>" on their command line, so scripts/troupe
# finds what its topology started by reading /proc, even when the PID files are gone, and never
# touches another run directory's processes. The PID files are kept for people and tests to read.
# Source it after common.sh; it only defines functions and variables.
source "$(dirname "${BASH_SOURCE[0]}")/proc.sh"

TROUPE_SERVICES=(registry launcher relay)

troupe_pid_file() { echo "$TROUPE_RUN_DIR/$1.pid"; }             # the service's JVM (rewritten on restart)
troupe_keeper_pid_file() { echo "$TROUPE_RUN_DIR/$1.keeper.pid"; } # the keeper that restarts it
troupe_log_file() { echo "$TROUPE_RUN_DIR/logs/$1.log"; }

# The argument that ties a process to this run directory.
troupe_run_dir_marker() { echo "-Dtroupe.run.dir=$TROUPE_RUN_DIR"; }

# The services, one row each: name, Maven module, main class, and the variable holding its port.
TROUPE_SERVICE_TABLE="
registry registry-service dev.troupe.registry.server.RegistryMain TROUPE_REGISTRY_PORT
launcher worker-launcher  dev.troupe.launcher.server.LauncherMain TROUPE_LAUNCHER_PORT
relay    relay-service    dev.troupe.relay.RelayMain              TROUPE_RELAY_PORT
"

troupe_service_field() { # service column(2 module, 3 main class, 4 port variable)
  local row
  row=$(awk -v n="$1" -v c="$2" '$1 == n { print $c }' <<<"$TROUPE_SERVICE_TABLE")
  [ -n "$row" ] || troupe_die "unknown service '$1'; expected ${TROUPE_SERVICES[*]}"
  echo "$row"
}
troupe_service_module() { troupe_service_field "$1" 2; }
troupe_main_class() { troupe_service_field "$1" 3; }
troupe_service_port() { local v; v=$(troupe_service_field "$1" 4); echo "${!v}"; }

# The run directory a process names on its command line, if it is a service of any topology.
troupe_run_dir_of() { # pid
  local -a args
  local a
  troupe_cmdline "$1" args
  for a in ${args[@]+"${args[@]}"}; do
    if [[ "$a" == -Dtroupe.run.dir=* ]]; then
      echo "${a#-Dtroupe.run.dir=}"
      return 0
    fi
  done
  return 0
}

# Which process of this run directory PID is: "keeper NAME", "jvm NAME", or nothing (e.g. a grep
# whose pattern is the marker).
troupe_classify() { # pid
  local -a args
  local name a
  troupe_cmdline "$1" args
  [ "${#args[@]}" -gt 3 ] || return 1
  if [ "${args[1]##*/}" = keeper.sh ]; then
    for name in "${TROUPE_SERVICES[@]}"; do
      if [ "${args[2]}" = "$name" ] && [ "${args[3]}" = "$(troupe_pid_file "$name")" ]; then
        # A subshell the keeper forks for a moment (a command substitution) has the keeper's command
        # line: it is not a second keeper.
        [ "$(troupe_classify "$(troupe_parent "$1")" || true)" = "keeper $name" ] && return 1
        echo "keeper $name"
        return 0
      fi
    done
    return 1
  fi
  [ "${args[0]##*/}" = java ] || return 1
  for name in "${TROUPE_SERVICES[@]}"; do
    for a in "${args[@]}"; do
      if [ "$a" = "$(troupe_main_class "$name")" ]; then
        echo "jvm $name"
        return 0
      fi
    done
  done
  return 1
}

# The PID recorded in FILE, if that process is alive and has an argument equal to ARG (a PID may
# have been reused since). Finds a topology started by scripts that did not mark processes yet.
troupe_recorded_pid() { # file arg
  local pid a
  local -a args
  [ -f "$1" ] || return 1
  pid=$(cat "$1" 2>/dev/null)
  [[ "$pid" =~ ^[0-9]+$ ]] && troupe_alive "$pid" || return 1
  troupe_cmdline "$pid" args
  for a in "${args[@]}"; do
    [ "$a" = "$2" ] && { echo "$pid"; return 0; }
  done
  return 1
}

# The live processes of this run directory of KIND (keeper or jvm) for service NAME, one PID a line.
troupe_find() { # kind name
  local pid
  {
    for pid in $(troupe_pids_with_arg "$(troupe_run_dir_marker)"); do
      if [ "$(troupe_classify "$pid" || true)" = "$1 $2" ] && troupe_alive "$pid"; then echo "$pid"; fi
    done
    if [ "$1" = jvm ]; then
      troupe_recorded_pid "$(troupe_pid_file "$2")" "$(troupe_main_class "$2")" || true
    else
      troupe_recorded_pid "$(troupe_keeper_pid_file "$2")" "$(troupe_pid_file "$2")" || true
    fi
  } | sort -un
}

troupe_service_jvms() { troupe_find jvm "$1"; }
troupe_service_keepers() { troupe_find keeper "$1"; }

# Whether service NAME of this run directory runs (its JVM, or its keeper about to restart it).
troupe_service_running() { # name
  [ -n "$(troupe_service_jvms "$1")$(troupe_service_keepers "$1")" ]
}

# "jvm pid 12, keeper pid 10" for messages: which PID is which.
troupe_describe_service_pids() { # "jvm pids" "keeper pids"
  local jvm=${1//$'\n'/, } keeper=${2//$'\n'/, }
  if [ -n "$jvm" ] && [ -n "$keeper" ]; then
    echo "jvm pid $jvm, keeper pid $keeper"
  elif [ -n "$jvm" ]; then
    echo "jvm pid $jvm, no keeper"
  else
    echo "keeper pid $keeper, no jvm"
  fi
}
