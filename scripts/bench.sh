#!/usr/bin/env bash
# Benchmarks Troupe across real OS processes, with a raw grpc-java baseline measured in the same run.
#
# Usage: scripts/bench.sh [--quick]
#   --quick   fewer rounds and iterations: the same keys in under 2 minutes (full run: under 15)
#
# Builds what it needs (mvn package of those modules, tests skipped, when a jar is missing or older than its sources),
# starts everything it measures in a run directory of its own, stops all of it by PID at the end
# (also on failure or Ctrl+C), and prints progress on stderr and ONE line on stdout:
#   troupe-bench: key=value key=value ...
# Figures are medians over repeated runs after warm-up; BENCHMARKS.md says what each one measures.
#
# What runs (each its own JVM):
#   - the Echo topology by scripts/troupe (registry, worker-launcher, relay with --worker-delay-ms 0),
#     the launcher given the bench entries (benchmarks jar on the worker class path);
#   - the raw gRPC baseline server, and two bench nodes (A, B) that join the registry;
#   - a client JVM per phase (Benchmark messaging | echo | spawn | tutorial | idle); the kill phase's
#     client also forks and kills small ballast JVMs of its own (exit_kill_floor_ms), which exit with it;
#   - for the tutorial phase, the relay restarted with the tutorial's 100 ms worker delay: N requests
#     in flight (1,000; --quick: 300) for 20 s (--quick: 6 s) after a warm-up;
#   - the idle phase: 100,000 (--quick: 20,000, scaled) processes blocked in receive on app:processes;
#   - the names phase: a node registers, looks up and releases names through the topology's registry
#     (in memory), then through a second registry on etcd (one etcd member on loopback ports of its own;
#     skipped, its keys NA, where etcd is not installed);
#   - a second launcher with --min-spares 0 and its entry isolated (isolation: jvm), so
#     that every spawn forks a worker JVM, for cold spawns;
#   - JMH (CodecBenchmark) after the topology is down.
#
# Settings (environment):
#   BENCH_PORT_BASE  first port tried (default 7700); the run takes 10 free ports from there up,
#                    within 100 ports of the base
#   BENCH_RUN_DIR    run directory: logs, PID files, results (default: a new /tmp/troupe-bench.XXXXXX)
#   BENCH_PHASES     phases to run (default: "rss messaging spawn echo tutorial idle cold jmh"); keys of phases not
#                    run read NA
#   BENCH_JFR_DIR    when set, every JVM of the run records JFR (settings=profile) into that directory
#   BENCH_LAUNCHER_ARGS  more arguments for the topology's launcher (e.g. --worker-heap-mb 128)
#   BENCH_SPAWN_ARGS     more arguments for the warm spawn phase (e.g. --count 20000 to profile it)
#   BENCH_MESSAGING_ARGS more arguments for the messaging phase (e.g. --variants rtt_peer --rounds 20 to
#                        profile one variant; --rtt-count, --flood-count)
#   BENCH_LUA_IDLE_COUNT idle Lua processes of the idle phase (default 20000)
#   TROUPE_NO_BUILD  1: never build
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

QUICK=0
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    -h|--help) troupe_usage "$0"; exit 0 ;;
    *) echo "bench: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done
MODE=$([ "$QUICK" = 1 ] && echo quick || echo full)
QFLAG=$([ "$QUICK" = 1 ] && echo --quick || true)
PHASES=" ${BENCH_PHASES:-rss messaging spawn echo tutorial idle names cold jmh} "
START_S=$(date +%s)
LOAD_START=$(cut -d' ' -f1 /proc/loadavg)

log() { echo "bench: $*" >&2; }

troupe_find_jdk
JAVA="$TROUPE_JAVA"

# ------------------------------------------------------------------------------------------ build
troupe_build_if_needed registry-service worker-launcher relay-service cli-client benchmarks
export TROUPE_NO_BUILD=1
BENCH_JAR=$(troupe_jar benchmarks)
[ -n "$BENCH_JAR" ] || troupe_die "benchmarks is not built"
BENCH_CP="$(troupe_classpath benchmarks)"

# ------------------------------------------------------------------------------------------ ports, run dir
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORTS=()
p=${BENCH_PORT_BASE:-7700}
while [ "${#PORTS[@]}" -lt 10 ]; do
  [ "$p" -lt "$(( ${BENCH_PORT_BASE:-7700} + 100 ))" ] || troupe_die "no 10 free ports from ${BENCH_PORT_BASE:-7700} up"
  if port_free "$p"; then PORTS+=("$p"); fi
  p=$((p + 1))
done
REGISTRY_PORT=${PORTS[0]} LAUNCHER_PORT=${PORTS[1]} RELAY_PORT=${PORTS[2]} GRPC_PORT=${PORTS[3]}
NODE_A_PORT=${PORTS[4]} NODE_B_PORT=${PORTS[5]} COLD_PORT=${PORTS[6]}
ETCD_CLIENT_PORT=${PORTS[7]} ETCD_PEER_PORT=${PORTS[8]} ETCD_REGISTRY_PORT=${PORTS[9]}

RUN=${BENCH_RUN_DIR:-$(mktemp -d /tmp/troupe-bench.XXXXXX)}
mkdir -p "$RUN/logs"
RESULTS="$RUN/results.txt"
DIAGNOSTICS="$RUN/diagnostics.txt"  # per-operation CPU, run-queue wait and context switches per process
: > "$RESULTS"
: > "$DIAGNOSTICS"
log "mode $MODE, run directory $RUN, ports ${PORTS[*]}"

export TROUPE_RUN_DIR="$RUN/topology"
export TROUPE_BIND=127.0.0.1
export TROUPE_REGISTRY_PORT=$REGISTRY_PORT TROUPE_LAUNCHER_PORT=$LAUNCHER_PORT TROUPE_RELAY_PORT=$RELAY_PORT
export TROUPE_REGISTRY="127.0.0.1:$REGISTRY_PORT"
export TROUPE_RELAY_ARGS="--worker-delay-ms 0"
ENTRY_ARGS="--entry bench:sink=dev.troupe.bench.entries.SinkEntry --entry bench:echo=dev.troupe.bench.entries.EchoEntry"
ENTRY_ARGS+=" --entry bench:hello=dev.troupe.bench.entries.HelloEntry --entry bench:pid=dev.troupe.bench.entries.PidEntry"
# Their Lua twins (process.lua entries, as worker JVMs take them: lua:METHOD;MODULES;PATH).
ENTRY_ARGS+=" --entry bench:lua-hello=lua:main;process;$TROUPE_ROOT/benchmarks/lua/hello.lua"
ENTRY_ARGS+=" --entry bench:lua-sink=lua:main;process;$TROUPE_ROOT/benchmarks/lua/sink.lua"
export TROUPE_LAUNCHER_ARGS="$ENTRY_ARGS ${BENCH_LAUNCHER_ARGS:-}"
export TROUPE_WORKER_CLASSPATH="$BENCH_JAR"
# Secrets of this run's own (as `up` makes them), exported so that the bench client JVMs have them too.
export TROUPE_HOME="$RUN/home"
troupe_secrets make

JVM_FLAGS=("${TROUPE_SERVICE_JVM_FLAGS[@]}")
jfr_flags() { # name
  if [ -n "${BENCH_JFR_DIR:-}" ]; then
    mkdir -p "$BENCH_JFR_DIR"
    echo "-XX:StartFlightRecording=filename=$BENCH_JFR_DIR/$1.jfr,settings=profile,dumponexit=true -Dbench.exit=normal"
  fi
}

# ------------------------------------------------------------------------------------------ processes
OWN_PIDS=()     # JVMs this script started itself (not through scripts/troupe)
WORKER_PIDS=()  # worker JVMs seen under our launchers, checked for orphans at the end
TOPOLOGY_UP=0

children_of() { # pid -> its child pids (by /proc, never by name)
  local f
  for f in /proc/[0-9]*/stat; do
    awk -v pp="$1" '{ if ($4 == pp) print $1 }' "$f" 2>/dev/null || true
  done
}

remember_workers() {
  local l c
  for l in "$@"; do
    [ -n "$l" ] || continue
    for c in $(children_of "$l"); do WORKER_PIDS+=("$c"); done
  done
}

stop_own() { # pid: TERM, wait up to 10 s, then KILL
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "pid $pid did not stop within 10 s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

topology_pid() { cat "$TROUPE_RUN_DIR/$1.pid" 2>/dev/null || true; }

jfr_dump_topology() {
  [ -n "${BENCH_JFR_DIR:-}" ] && [ "$TOPOLOGY_UP" = 1 ] || return 0
  local s pid
  for s in registry launcher relay; do
    pid=$(topology_pid "$s")
    [ -n "$pid" ] && "$JAVA_HOME/bin/jcmd" "$pid" JFR.dump name=bench filename="$BENCH_JFR_DIR/$s.jfr" >/dev/null 2>&1 || true
  done
  for pid in $(children_of "$(topology_pid launcher)"); do
    "$JAVA_HOME/bin/jcmd" "$pid" JFR.dump name=bench filename="$BENCH_JFR_DIR/worker-$pid.jfr" >/dev/null 2>&1 || true
  done
}

cleanup() {
  local rc=$? i pid
  set +e
  remember_workers "$(topology_pid launcher)" "${COLD_PID:-}"
  jfr_dump_topology
  for ((i=${#OWN_PIDS[@]}-1; i>=0; i--)); do stop_own "${OWN_PIDS[$i]}"; done
  if [ "$TOPOLOGY_UP" = 1 ]; then
    "$TROUPE_ROOT/scripts/troupe" down >&2
  fi
  sleep 0.5
  for pid in "${WORKER_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q WorkerMain; then
      log "worker JVM $pid outlived its launcher; killing it"
      kill -KILL "$pid" 2>/dev/null
    fi
  done
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts a JVM of ours in the background; waits for its "READY host:port" line. Sets STARTED_PID.
start_jvm() { # name main-args...
  local name=$1 i; shift
  # shellcheck disable=SC2046
  setsid "$JAVA" "${JVM_FLAGS[@]}" $(jfr_flags "$name") -cp "$BENCH_CP" dev.troupe.bench.Benchmark "$@" \
    > "$RUN/logs/$name.log" 2>&1 < /dev/null &
  STARTED_PID=$!
  OWN_PIDS+=("$STARTED_PID")
  for i in $(seq 1 600); do
    grep -q '^READY ' "$RUN/logs/$name.log" 2>/dev/null && return 0
    kill -0 "$STARTED_PID" 2>/dev/null || { tail -n 20 "$RUN/logs/$name.log" >&2; troupe_die "$name died while starting"; }
    sleep 0.1
  done
  troupe_die "$name did not start within 60 s"
}

# Runs a client phase JVM (bounded in time); its RESULT lines go to the results file.
run_client() { # name timeout-s args...
  local name=$1 limit=$2 rc=0 t0; shift 2
  t0=$(date +%s)
  log "phase $name..."
  # shellcheck disable=SC2046
  timeout --signal=TERM --kill-after=10 "$limit" \
    "$JAVA" "${JVM_FLAGS[@]}" $(jfr_flags "$name") -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "$BENCH_CP" dev.troupe.bench.Benchmark "$@" > "$RUN/logs/$name.out" 2> "$RUN/logs/$name.log" || rc=$?
  grep '^RESULT ' "$RUN/logs/$name.out" | sed 's/^RESULT //' >> "$RESULTS" || true
  grep '^DIAG ' "$RUN/logs/$name.out" | sed 's/^DIAG //' >> "$DIAGNOSTICS" || true
  if [ "$rc" != 0 ]; then
    log "phase $name failed (exit $rc); last lines of $RUN/logs/$name.log:"
    tail -n 15 "$RUN/logs/$name.log" >&2
  fi
  grep '^bench: ' "$RUN/logs/$name.log" | tail -n 3 >&2 || true
  log "phase $name took $(( $(date +%s) - t0 )) s"
}

has_phase() { [[ "$PHASES" == *" $1 "* ]]; }

# ------------------------------------------------------------------------------------------ topology
rm -f "$TROUPE_RUN_DIR"/worker*.aot*   # measured from a first start: the cache is built afresh
log "starting the topology (registry, launcher, relay) with scripts/troupe... ($(( $(date +%s) - START_S )) s)"
TOPOLOGY_UP=1
"$TROUPE_ROOT/scripts/troupe" up >&2
LAUNCHER_PID=$(topology_pid launcher)
# The launcher builds the worker JVMs' AOT cache in the background on a first start (this run removed
# it), and the spares it forked meanwhile run without it. Measure the topology of every later start:
# once the cache is built, start it again.
wait_for_aot_cache() { # this launcher's own line: the log of a reused run directory has older ones
  local deadline=$((SECONDS + 180))
  while [ "$SECONDS" -lt "$deadline" ]; do
    grep -q "launcher\[$LAUNCHER_PID\]: AOT cache .* ready" "$TROUPE_RUN_DIR/logs/launcher.log" && return 0
    grep -q "launcher\[$LAUNCHER_PID\]: AOT cache .* unavailable" "$TROUPE_RUN_DIR/logs/launcher.log" && return 1
    sleep 0.5
  done
  return 1
}
if wait_for_aot_cache; then
  "$TROUPE_ROOT/scripts/troupe" down >&2
  "$TROUPE_ROOT/scripts/troupe" up >&2
  LAUNCHER_PID=$(topology_pid launcher)
  log "topology started again with the worker JVMs' AOT cache ($(( $(date +%s) - START_S )) s)"
else
  log "no AOT cache for the worker JVMs: measuring them without it"
fi
if [ -n "${BENCH_JFR_DIR:-}" ]; then
  for s in registry launcher relay; do
    "$JAVA_HOME/bin/jcmd" "$(topology_pid "$s")" JFR.start name=bench settings=profile >/dev/null 2>&1 || true
  done
fi
TIMEOUT_SHORT=$([ "$QUICK" = 1 ] && echo 120 || echo 400)

if has_phase rss; then
  # Idle service JVMs, just started (the issue's goal: each <= 64 MB): VmRSS of each, and the largest.
  max_kb=0
  for s in registry launcher relay; do
    kb=$(awk '/^VmRSS/{print $2}' "/proc/$(topology_pid "$s")/status" 2>/dev/null || true)
    kb=${kb:-0}
    echo "service_rss_mb_$s=$(awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }')" >> "$RESULTS"
    [ "$kb" -gt "$max_kb" ] && max_kb=$kb
  done
  echo "service_rss_mb_max=$(awk -v k="$max_kb" 'BEGIN { printf "%.1f", k / 1024 }')" >> "$RESULTS"
  run_client rss 150 spawn --mode rss --launcher "127.0.0.1:$LAUNCHER_PORT" --launcher-pid "$LAUNCHER_PID" --spares 2
fi

if [ -n "${BENCH_JFR_DIR:-}" ]; then
  for pid in $(children_of "$LAUNCHER_PID"); do
    "$JAVA_HOME/bin/jcmd" "$pid" JFR.start name=bench settings=profile >/dev/null 2>&1 || true
  done
fi

# ------------------------------------------------------------------------------------------ messaging
if has_phase messaging; then
  start_jvm grpc-server grpc-server --port "$GRPC_PORT"
  GRPC_PID=$STARTED_PID
  start_jvm node-a node --name bench-a --host bench:a --registry "$TROUPE_REGISTRY" --port "$NODE_A_PORT"
  NODE_A_PID=$STARTED_PID
  start_jvm node-b node --name bench-b --host bench:b --registry "$TROUPE_REGISTRY" --port "$NODE_B_PORT"
  NODE_B_PID=$STARTED_PID
  run_client messaging "$([ "$QUICK" = 1 ] && echo 150 || echo 600)" messaging $QFLAG \
    --grpc "127.0.0.1:$GRPC_PORT" --node-a "127.0.0.1:$NODE_A_PORT" --node-b "127.0.0.1:$NODE_B_PORT" --host-b bench:b \
    --grpc-pid "$GRPC_PID" --node-a-pid "$NODE_A_PID" --node-b-pid "$NODE_B_PID" ${BENCH_MESSAGING_ARGS:-}
  for pid in "$NODE_B_PID" "$NODE_A_PID" "$GRPC_PID"; do stop_own "$pid"; done
fi

# ------------------------------------------------------------------------------------------ spawn, echo
if has_phase spawn; then
  # shellcheck disable=SC2086
  run_client spawn-warm "$TIMEOUT_SHORT" spawn $QFLAG --mode warm --launcher "127.0.0.1:$LAUNCHER_PORT" \
    --launcher-pid "$LAUNCHER_PID" ${BENCH_SPAWN_ARGS:-}
  # shellcheck disable=SC2086
  run_client spawn-lua "$TIMEOUT_SHORT" spawn $QFLAG --mode warm --launcher "127.0.0.1:$LAUNCHER_PORT" \
    --launcher-pid "$LAUNCHER_PID" --entry bench:lua-hello --prefix lua_ --warmup-seconds "$( [ -n "$QFLAG" ] && echo 4 || echo 15)"
  run_client spawn-kill "$TIMEOUT_SHORT" spawn $QFLAG --mode kill --launcher "127.0.0.1:$LAUNCHER_PORT" \
    --launcher-pid "$LAUNCHER_PID"
fi
if has_phase echo; then
  run_client echo "$TIMEOUT_SHORT" echo $QFLAG --node "127.0.0.1:$RELAY_PORT" --registry-pid "$(topology_pid registry)" \
    --relay-pid "$(topology_pid relay)" --launcher-pid "$LAUNCHER_PID"
fi

# ------------------------------------------------------------------------------------------ tutorial, idle
if has_phase tutorial; then
  log "restarting the relay with the tutorial's worker delay (100 ms)..."
  "$TROUPE_ROOT/scripts/troupe" stop relay >&2
  TROUPE_RELAY_ARGS="--worker-delay-ms 100" "$TROUPE_ROOT/scripts/troupe" start relay >&2
  if [ -n "${BENCH_JFR_DIR:-}" ]; then # the restarted relay records too (dumped as relay.jfr at the end)
    "$JAVA_HOME/bin/jcmd" "$(topology_pid relay)" JFR.start name=bench settings=profile >/dev/null 2>&1 || true
  fi
  run_client tutorial "$TIMEOUT_SHORT" tutorial $QFLAG --node "127.0.0.1:$RELAY_PORT" \
    --registry-pid "$(topology_pid registry)" --relay-pid "$(topology_pid relay)" --launcher-pid "$LAUNCHER_PID"
fi
if has_phase idle; then
  run_client idle "$TIMEOUT_SHORT" idle $QFLAG --launcher "127.0.0.1:$LAUNCHER_PORT" --launcher-pid "$LAUNCHER_PID"
  # 20,000 in both modes: the figure is per process, and 100,000 idle Lua processes (12-14 KB of heap
  # each) outgrow the worker JVMs' default heap at the pool's default 25,000 processes a JVM.
  run_client idle-lua "$TIMEOUT_SHORT" idle $QFLAG --launcher "127.0.0.1:$LAUNCHER_PORT" --launcher-pid "$LAUNCHER_PID" \
    --entry bench:lua-sink --prefix lua_ --count "${BENCH_LUA_IDLE_COUNT:-20000}"
fi

# ------------------------------------------------------------------------------------------ names
if has_phase names; then
  run_client names-memory "$TIMEOUT_SHORT" names $QFLAG --registry "$TROUPE_REGISTRY" --prefix name_mem_
  if command -v etcd >/dev/null 2>&1; then
    log "starting etcd (one member) and a registry on it..."
    setsid etcd --name bench --data-dir "$RUN/etcd" --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
      --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
      --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
      --initial-cluster "bench=http://127.0.0.1:$ETCD_PEER_PORT" > "$RUN/logs/etcd.log" 2>&1 < /dev/null &
    ETCD_PID=$!
    OWN_PIDS+=("$ETCD_PID")
    # shellcheck disable=SC2046,SC2086
    setsid "$JAVA" "${TROUPE_SERVICE_JVM_FLAGS[@]}" -cp "$(troupe_classpath registry-service)" \
      dev.troupe.registry.server.RegistryMain --bind 127.0.0.1 --port "$ETCD_REGISTRY_PORT" --node-name bench-registry-etcd \
      --client-host bench-etcd:clients --store etcd --etcd-endpoints "http://127.0.0.1:$ETCD_CLIENT_PORT" \
      --etcd-prefix /troupe-bench/ > "$RUN/logs/registry-etcd.log" 2>&1 < /dev/null &
    ETCD_REGISTRY_PID=$!
    OWN_PIDS+=("$ETCD_REGISTRY_PID")
    for i in $(seq 1 600); do # etcd answers within seconds; the registry reads it, then says ready
      grep -q 'registry ready at' "$RUN/logs/registry-etcd.log" 2>/dev/null && break
      kill -0 "$ETCD_REGISTRY_PID" 2>/dev/null || break
      sleep 0.1
    done
    if grep -q 'registry ready at' "$RUN/logs/registry-etcd.log"; then
      run_client names-etcd "$TIMEOUT_SHORT" names $QFLAG --registry "127.0.0.1:$ETCD_REGISTRY_PORT" --prefix name_etcd_
    else
      log "the registry on etcd did not get ready; last lines:"; tail -n 20 "$RUN/logs/registry-etcd.log" >&2
    fi
    stop_own "$ETCD_REGISTRY_PID"
    stop_own "$ETCD_PID"
  else
    log "etcd is not installed (apt-get install etcd-server): no name_etcd_* figures"
  fi
fi

# ------------------------------------------------------------------------------------------ cold spawn
if has_phase cold; then
  log "starting a launcher with no spares for cold spawns (each isolated spawn forks a JVM)..."
  # The class path of scripts/troupe's launcher and the same worker class path: its AOT cache fits (the
  # same name, worker-FINGERPRINT.aot), unless BENCH_LAUNCHER_ARGS changes the worker JVM flags: then
  # this launcher builds its own, and the topology's stays (its worker JVMs map it).
  # shellcheck disable=SC2046,SC2086
  setsid "$JAVA" "${TROUPE_SERVICE_JVM_FLAGS[@]}" $(jfr_flags cold-launcher) -cp "$(troupe_classpath worker-launcher)" \
    dev.troupe.launcher.server.LauncherMain --bind 127.0.0.1 --port "$COLD_PORT" --registry "$TROUPE_REGISTRY" \
    --node-name bench-cold --host bench:cold $ENTRY_ARGS --worker-classpath "$(troupe_jar examples/echo echo-example):$BENCH_JAR" \
    --min-spares 0 --isolate bench:hello --aot-cache "$TROUPE_RUN_DIR/worker.aot" \
    > "$RUN/logs/cold-launcher.log" 2>&1 < /dev/null &
  COLD_PID=$!
  OWN_PIDS+=("$COLD_PID")
  for i in $(seq 1 1200); do # ready once the AOT cache is built and the pool started
    grep -q 'launcher ready at' "$RUN/logs/cold-launcher.log" 2>/dev/null && break
    kill -0 "$COLD_PID" 2>/dev/null || break
    sleep 0.1
  done
  if grep -q 'launcher ready at' "$RUN/logs/cold-launcher.log"; then
    grep -o 'AOT cache .*' "$RUN/logs/cold-launcher.log" | head -n1 | sed 's/^/bench: cold launcher: /' >&2 || true
    run_client spawn-cold "$TIMEOUT_SHORT" spawn $QFLAG --mode cold --launcher "127.0.0.1:$COLD_PORT" \
      --host bench:cold --launcher-pid "$COLD_PID"
  else
    log "the cold launcher did not get ready; last lines:"; tail -n 20 "$RUN/logs/cold-launcher.log" >&2
  fi
  remember_workers "$COLD_PID"
  stop_own "$COLD_PID"
fi

# ------------------------------------------------------------------------------------------ stop, JMH
remember_workers "$LAUNCHER_PID"
jfr_dump_topology
"$TROUPE_ROOT/scripts/troupe" down >&2
TOPOLOGY_UP=0

if has_phase jmh; then
  log "phase jmh (CodecBenchmark)... ($(( $(date +%s) - START_S )) s)"
  if [ "$QUICK" = 1 ]; then JMH_ARGS=(-f 1 -wi 3 -w 300ms -i 3 -r 300ms); else JMH_ARGS=(-f 1 -wi 3 -w 1s -i 5 -r 1s); fi
  if timeout 300 "$JAVA" "${TROUPE_JDK_FLAGS[@]}" -cp "$BENCH_CP" org.openjdk.jmh.Main CodecBenchmark "${JMH_ARGS[@]}" \
      -rf csv -rff "$RUN/jmh.csv" > "$RUN/logs/jmh.log" 2>&1; then
    # "Benchmark","Mode","Threads","Samples","Score",... -> jmh_<method>_ns=<score>
    tail -n +2 "$RUN/jmh.csv" | tr -d '"' | awk -F, '{ n = $1; sub(/.*\./, "", n); printf "jmh_%s_ns=%.1f\n", n, $5 }' >> "$RESULTS"
  else
    log "jmh failed; see $RUN/logs/jmh.log"
  fi
fi

# ------------------------------------------------------------------------------------------ the line
value() { # key -> value or NA (the last one wins)
  local v
  v=$(grep "^$1=" "$RESULTS" | tail -n1 | cut -d= -f2)
  echo "${v:-NA}"
}
REQUIRED=(grpc_rtt_p50_us grpc_tput_msgs_s tput_msgs_s rtt_p50_us rtt_p99_us echo_p50_us echo_p99_us echo8_per_s
  spawn_warm_p50_us spawn_cold_p50_ms exit_normal_p50_us exit_kill_p50_ms worker_rss_mb service_rss_mb_max
  tutorial_per_s tutorial_p50_ms tutorial_p99_ms tutorial_timeouts tutorial_rss_mb tutorial_jvms idle_100k_rss_mb
  lua_spawn_p50_us lua_idle_kb)
line="troupe-bench: mode=$MODE"
for k in "${REQUIRED[@]}"; do line+=" $k=$(value "$k")"; done
while IFS= read -r kv; do
  k=${kv%%=*}
  [[ " ${REQUIRED[*]} " == *" $k "* ]] && continue
  [[ "$line" == *" $k="* ]] && continue
  line+=" $k=$(value "$k")"
done < "$RESULTS"
line+=" nproc=$(nproc) jdk=$TROUPE_JDK_MAJOR load1_start=$LOAD_START load1_end=$(cut -d' ' -f1 /proc/loadavg)"
line+=" wall_s=$(( $(date +%s) - START_S ))"
log "results in $RESULTS, per-operation diagnostics in $DIAGNOSTICS, logs in $RUN/logs"
echo "$line"
