#!/usr/bin/env bash
# Shared by every Troupe script: where things are, which JDK to use, how to build and run services.
# Source it; it defines functions and variables and changes nothing by itself.

TROUPE_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TROUPE_ROOT="$(cd "$TROUPE_LIB_DIR/../.." && pwd)"
export TROUPE_ROOT
# Two layouts: a source tree (pom.xml; jars under each module's target/) or an unpacked release
# (scripts/build.sh --dist: bin/, lib/ with each jar once and a class path list per program, config/).
if [ -f "$TROUPE_ROOT/pom.xml" ]; then
  TROUPE_LAYOUT=source
  TROUPE_ECHO_TOPOLOGY="$TROUPE_ROOT/examples/echo/config/echo.yaml"
else
  TROUPE_LAYOUT=dist
  TROUPE_ECHO_TOPOLOGY="$TROUPE_ROOT/config/echo.yaml"
fi
TROUPE_ECHO_TOPOLOGY="${TROUPE_TOPOLOGY:-$TROUPE_ECHO_TOPOLOGY}"

# Settings (environment variables, with defaults):
#   TROUPE_RUN_DIR        where PID files and logs go          (default: $TROUPE_ROOT/.run)
#   TROUPE_BIND           address services listen on           (default: 127.0.0.1)
#   TROUPE_REGISTRY_PORT  registry-service port                (default: 7400)
#   TROUPE_LAUNCHER_PORT  worker-launcher port                 (default: 7401)
#   TROUPE_RELAY_PORT     relay-service port                   (default: 7402)
#   TROUPE_REGISTRY       registry address nodes join          (default: $TROUPE_BIND:$TROUPE_REGISTRY_PORT;
#                         set it to join a registry on another machine, or to the addresses of several
#                         registry replicas, comma-separated: nodes move to the next when one goes away)
#   TROUPE_ETCD_ENDPOINTS keep the registry's directory in etcd (e.g. http://10.0.0.1:2379,http://...),
#                         shared by every registry replica; default: in the registry's memory
#   TROUPE_REGISTRY_NAME  this machine's registry replica's node name (default: registry); each replica
#                         over one etcd needs its own (its clients get PIDs on NAME:clients)
#   TROUPE_RELAY          the relay's node, where scripts/cli-client attaches (default:
#                         $TROUPE_BIND:$TROUPE_RELAY_PORT; set it to use a relay on another machine)
#   TROUPE_START_TIMEOUT  seconds to wait for a service to report SERVING (default: 60)
#   TROUPE_STOP_TIMEOUT   seconds `down`/`stop` wait for a process to end after TERM before they KILL
#                         it, and for worker JVMs to follow their launcher (default: 10)
#   TROUPE_RESTART_DELAY_MS, TROUPE_KEEPER_MAX_FAILED_STARTS, TROUPE_KEEPER_FAILED_START_WINDOW_S
#                         how the keeper restarts a service, and when it gives up: see scripts/lib/keeper.sh
#   TROUPE_OBSERVER_PORT  serve Troupe Observer (the registry's web view) on this port (default: off)
#   TROUPE_REGISTRY_ARGS  extra registry-service options, e.g. "--metrics-port 9400"
#   TROUPE_LAUNCHER_ARGS  extra worker-launcher options, e.g. "--min-spares 4 --entry app:x=com.example.X"
#   TROUPE_RELAY_ARGS     extra relay-service options, e.g. "--worker-delay-ms 0"
#   TROUPE_WORKER_CLASSPATH  extra jars for worker JVMs (the code of extra entries)
#   TROUPE_TOPOLOGY       the launcher's topology file (default: the Echo's, examples/echo/config/echo.yaml
#                         or config/echo.yaml in a release): its hosts, entries and services
#   TROUPE_NO_BUILD       set to 1 to never build from the scripts (tests run after the build)
#   TROUPE_HOME           where the topology's secrets live (default: ~/.troupe): `secret`, which every
#                         participant uses (the CLI and the Python client find it by themselves), and
#                         `node-secret`, which only the services and their worker JVMs get; `up` and
#                         `start` make each on first use (random, readable only by you), like Erlang's
#                         ~/.erlang.cookie
#   TROUPE_SECRET_FILE / TROUPE_SECRET, TROUPE_NODE_SECRET_FILE / TROUPE_NODE_SECRET
#                         use these secrets instead (a topology across machines shares its files)
#   TROUPE_INSECURE       set to 1 to run without secrets: anything that reaches the ports takes part
#   TROUPE_SERVICE_MALLOC_ARENAS  glibc malloc arenas of each service JVM (MALLOC_ARENA_MAX; default: 2,
#                         as the launcher gives its worker JVMs; glibc's own is 8 per core, a heap each)
#   TROUPE_SERVICE_JVM_OPTS  JVM options for the service JVMs (registry, launcher, relay), after the shipped
#                         flags so that each wins, e.g. "-XX:+HeapDumpOnOutOfMemoryError" or, for less
#                         memory at some speed, "-XX:+UseSerialGC -XX:TieredStopAtLevel=1"; a collector
#                         named here replaces the shipped one. Worker JVMs take theirs from the launcher:
#                         TROUPE_LAUNCHER_ARGS="--worker-jvm-option=..."
#   TROUPE_JVM_CHECK_TIMEOUT_S  how long the JVM may take to say whether it takes TROUPE_SERVICE_JVM_OPTS
#                         (`java OPTIONS -version`, once per command; default 30): past it, they are not refused
TROUPE_RUN_DIR="${TROUPE_RUN_DIR:-$TROUPE_ROOT/.run}"
TROUPE_SERVICE_MALLOC_ARENAS="${TROUPE_SERVICE_MALLOC_ARENAS:-2}"
# One spelling of each run directory (absolute, no trailing slash, symbolic links resolved): the
# services carry it on their command line, and scripts/troupe finds them by it.
TROUPE_RUN_DIR="$(realpath -m -- "$TROUPE_RUN_DIR")"
TROUPE_BIND="${TROUPE_BIND:-127.0.0.1}"
TROUPE_REGISTRY_PORT="${TROUPE_REGISTRY_PORT:-7400}"
TROUPE_LAUNCHER_PORT="${TROUPE_LAUNCHER_PORT:-7401}"
TROUPE_RELAY_PORT="${TROUPE_RELAY_PORT:-7402}"
TROUPE_REGISTRY="${TROUPE_REGISTRY:-$TROUPE_BIND:$TROUPE_REGISTRY_PORT}"
TROUPE_RELAY="${TROUPE_RELAY:-$TROUPE_BIND:$TROUPE_RELAY_PORT}"
TROUPE_REGISTRY_NAME="${TROUPE_REGISTRY_NAME:-registry}"

# Whether this machine runs a registry (replica): its address is one of TROUPE_REGISTRY's.
troupe_registry_is_local() {
  case ",$TROUPE_REGISTRY," in *",$TROUPE_BIND:$TROUPE_REGISTRY_PORT,"*) return 0 ;; esac
  return 1
}

# The registry-service options that TROUPE_ETCD_ENDPOINTS and TROUPE_REGISTRY_NAME ask for.
troupe_registry_store_args() {
  if [ -n "${TROUPE_ETCD_ENDPOINTS:-}" ]; then
    printf '%s\n' --store etcd --etcd-endpoints "$TROUPE_ETCD_ENDPOINTS"
  fi
  if [ "$TROUPE_REGISTRY_NAME" != registry ]; then
    printf '%s\n' --node-name "$TROUPE_REGISTRY_NAME" --client-host "$TROUPE_REGISTRY_NAME:clients"
  fi
}
TROUPE_START_TIMEOUT="${TROUPE_START_TIMEOUT:-60}"
TROUPE_STOP_TIMEOUT="${TROUPE_STOP_TIMEOUT:-10}"

troupe_die() {
  echo "troupe: $*" >&2
  exit 1
}

# Exports TROUPE_SECRET_FILE and TROUPE_NODE_SECRET_FILE for the services and tools started from here:
# those configured are kept; otherwise the files in $TROUPE_HOME, made now if $1 is "make" and they
# are missing. Nothing with TROUPE_INSECURE set.
troupe_secrets() { # [make]
  [ -n "${TROUPE_INSECURE:-}" ] && return 0
  local dir="${TROUPE_HOME:-$HOME/.troupe}"
  if [ -n "${TROUPE_SECRET:-}${TROUPE_SECRET_FILE:-}" ] && [ -z "${TROUPE_NODE_SECRET:-}${TROUPE_NODE_SECRET_FILE:-}" ]; then
    # A process secret given without a node secret: the one secret of a topology set up that way
    # (across machines, each with its own $TROUPE_HOME); a node secret made here would differ from
    # the other machines'.
    return 0
  fi
  troupe_secret_file TROUPE_SECRET "$dir/secret" "${1:-}"
  troupe_secret_file TROUPE_NODE_SECRET "$dir/node-secret" "${1:-}"
}

troupe_secret_file() { # VARIABLE file make|""
  local var=$1 file=$2 fvar="${1}_FILE" tmp
  if [ -n "${!var:-}" ] || [ -n "${!fvar:-}" ]; then
    return 0
  fi
  if [ ! -f "$file" ] && [ "$3" = make ]; then
    (umask 077 && mkdir -p "$(dirname "$file")") || troupe_die "cannot make $(dirname "$file") for the secrets"
    tmp="$file.$$.tmp"
    # 32 random bytes as 64 hex digits: a fixed length, nothing a shell or an env file must quote
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$tmp") || troupe_die "cannot write $tmp"
    # ln, not mv: of two `up`s at once, the second keeps the first one's secret
    ln "$tmp" "$file" 2>/dev/null && echo "troupe: made $file (readable only by you; TROUPE_INSECURE=1 runs without)" >&2
    rm -f "$tmp"
    [ -f "$file" ] || troupe_die "could not make $file (set TROUPE_HOME to a directory you can write, or TROUPE_INSECURE=1)"
  fi
  if [ -f "$file" ]; then
    export "$fvar=$file"
  fi
}

# The major version of the java at $1 (e.g. 25), or nothing.
troupe_java_major() {
  local v
  v=$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1)
  echo "${v%%.*}"
}

# Finds a JDK >= 21: JAVA_HOME first, then the JDKs under /usr/lib/jvm (newest first). Exports
# JAVA_HOME and TROUPE_JAVA, or stops with a message that says what to install.
troupe_find_jdk() {
  local candidates=() c major
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if [ -d /usr/lib/jvm ]; then
    while IFS= read -r c; do candidates+=("$c"); done < <(ls -d /usr/lib/jvm/*/ 2>/dev/null | sed 's#/$##' | sort -rV)
  fi
  for c in "${candidates[@]}"; do
    if [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ]; then
      major=$(troupe_java_major "$c/bin/java")
      if [ -n "$major" ] && [ "$major" -ge 21 ] 2>/dev/null; then
        export JAVA_HOME="$c"
        export TROUPE_JAVA="$c/bin/java"
        TROUPE_JDK_MAJOR="$major"
        # JDK 23+ warns on every start about protobuf's and Netty's use of Unsafe and native code.
        TROUPE_JDK_FLAGS=()
        if [ "$major" -ge 23 ]; then
          TROUPE_JDK_FLAGS=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)
        fi
        TROUPE_SERVICE_JVM_FLAGS+=("${TROUPE_JDK_FLAGS[@]}")
        # Memory malloc holds free (the JIT compilers' arenas, the start's) goes back to the OS every
        # second; JDK 21 has the flag only as an experimental one (see TROUPE_SERVICE_JVM_FLAGS).
        if [ "$major" -ge 22 ]; then
          TROUPE_SERVICE_JVM_FLAGS+=(-XX:TrimNativeHeapInterval=1000)
        fi
        # Maven itself (its Guava) warns the same way on these JDKs.
        if [ "$major" -ge 23 ] && [[ "${MAVEN_OPTS:-}" != *sun-misc-unsafe* ]]; then
          export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
        fi
        return 0
      fi
    fi
  done
  troupe_die "no JDK >= 21 found (looked at JAVA_HOME='${JAVA_HOME:-}' and /usr/lib/jvm/*).
Install one (JDK 25 recommended, e.g. 'apt-get install openjdk-21-jdk' or Temurin 25) or set JAVA_HOME to it."
}

# Installs playwright-core (npm) into .cache/playwright for the Observer's browser test, once; the
# browser itself is Debian's chromium. Never fails: without npm or chromium the test says what is missing.
troupe_playwright() {
  local version=${TROUPE_PLAYWRIGHT_VERSION:-1.65.1} dir="$TROUPE_ROOT/.cache/playwright"
  [ -x /usr/bin/chromium ] && command -v npm >/dev/null 2>&1 || return 0
  [ "$(cat "$dir/node_modules/playwright-core/package.json" 2>/dev/null | sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' | head -n1)" = "$version" ] && return 0
  echo "troupe: installing playwright-core $version from npm into .cache/playwright" >&2
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --silent "playwright-core@$version" >&2 \
    || echo "troupe: npm could not install playwright-core@$version; the Observer's browser test will say so" >&2
}

# Prints a script's usage: its first comment block, after the #! line, without the "# ".
troupe_usage() { # script
  awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$1"
}

troupe_jar() { # module directory [artifactId, default: the directory's name] -> its jar, or nothing
  # when it is not built (never fails: callers use set -e)
  local artifact=${2:-$(basename "$1")} dir="$TROUPE_ROOT/$1/target"
  [ "$TROUPE_LAYOUT" = dist ] && dir="$TROUPE_ROOT/lib"
  ls "$dir/$artifact"-[0-9]*.jar 2>/dev/null | grep -v -e '-tests.jar' -e '-sources.jar' | head -n1 || true
}

# Class path of a program's module: its jar and its runtime jars (jars only, for the AOT cache). In a
# release, lib/MODULE.classpath lists them by name: each program gets its own jars, never all of lib/.
troupe_classpath() {
  local jar name cp=""
  if [ "$TROUPE_LAYOUT" = dist ]; then
    [ -f "$TROUPE_ROOT/lib/$1.classpath" ] || troupe_die "lib/$1.classpath is missing: this release is incomplete"
    while read -r name; do cp+="${cp:+:}$TROUPE_ROOT/lib/$name"; done < "$TROUPE_ROOT/lib/$1.classpath"
    echo "$cp"
    return 0
  fi
  jar=$(troupe_jar "$1")
  [ -n "$jar" ] || troupe_die "$1 is not built; run scripts/build.sh"
  echo "$jar:$TROUPE_ROOT/$1/target/lib/*"
}

# Builds the given modules (default: the services and the CLI) and what they need, when a jar is
# missing or a source is newer than the jars. TROUPE_NO_BUILD=1 skips it.
troupe_build_if_needed() { # [module...]
  [ "${TROUPE_NO_BUILD:-}" = 1 ] || [ "$TROUPE_LAYOUT" = dist ] && return 0
  local m jar stale="" modules=("$@")
  [ ${#modules[@]} -gt 0 ] || modules=(registry-service worker-launcher relay-service cli-client)
  for m in "${modules[@]}"; do
    jar=$(troupe_jar "$m")
    if [ -z "$jar" ] || [ ! -d "$TROUPE_ROOT/$m/target/lib" ]; then stale=yes; break; fi
    if [ -n "$(find "$TROUPE_ROOT/proto/src" "$TROUPE_ROOT/client/src/main" "$TROUPE_ROOT/runtime/src/main" \
        "$TROUPE_ROOT/examples/echo/src/main" "$TROUPE_ROOT/examples/echo/config" "$TROUPE_ROOT/lua/src/main" "$TROUPE_ROOT/$m/src/main" \
        "$TROUPE_ROOT/pom.xml" "$TROUPE_ROOT/$m/pom.xml" -newer "$jar" -type f 2>/dev/null | head -n1)" ]; then
      stale=yes; break
    fi
  done
  if [ -n "$stale" ]; then
    echo "troupe: building ${modules[*]} (mvn package, tests skipped)..." >&2
    (IFS=,; cd "$TROUPE_ROOT" && mvn -q -B -DskipTests package -pl "${modules[*]}" -am) >&2 || troupe_die "build failed"
  fi
}

# JVM flags for the long-running services (full C2: they live long enough to profit from it).
# The heap starts at 8 MB and the parallel collector (one GC thread: the services and the worker JVMs
# share the cores) sizes the young generation to the allocation rate: an idle service keeps a small one,
# a busy one grows it up to -XX:MaxNewSize=40m. SerialGC grows it only after a full collection, so it
# either starts big (16 MB: 11 MB more RSS idle) or stays small under load (4 MB: a message flood took
# 15-25 % more CPU per message). -XX:YoungGenerationSizeSupplement=0: the collections during the start
# would otherwise grow it 80 % beyond what the policy asks for, and an idle JVM never shrinks it back
# (BENCHMARKS.md, "Idle footprint"). -XX:SurvivorRatio=4: survivor spaces that hold what lives a few
# hundred ms (a request in flight, its messages); in the default young generation (a third of a small
# heap) those were promoted, and under the tutorial's load the relay's RSS went to 232 MB; with these
# bounds 161 MB (BENCHMARKS.md, "Young generations"). On JDK 22+ -XX:TrimNativeHeapInterval (added in
# troupe_find_jdk) gives what the JIT compilers freed back to the OS: 5-7 MB less idle RSS.
# leakDetection.level=disabled: Netty's sampled leak records (a stack trace each) cost CPU on every
# message path; the test suites, which do not use these flags, keep looking for leaks.
# One Netty arena each way: every stream is written and read by the JVM's one network thread, and each
# further arena holds chunks of its own (with TROUPE_SERVICE_MALLOC_ARENAS: 3-5 MB less idle RSS a service).
# The JVM arguments of a service: the shipped flags, then TROUPE_SERVICE_JVM_OPTS (without the shipped
# collector when those name one: the JVM refuses two), in TROUPE_SERVICE_JVM_ARGS.
troupe_service_jvm_args() {
  local opts=() f
  read -r -a opts <<< "${TROUPE_SERVICE_JVM_OPTS:-}"
  TROUPE_SERVICE_JVM_ARGS=()
  for f in "${TROUPE_SERVICE_JVM_FLAGS[@]}"; do
    if [ "$f" = -XX:+UseParallelGC ] && [ ${#opts[@]} -gt 0 ] \
        && printf '%s\n' "${opts[@]}" | grep -Eqx -- '-XX:\+Use(Serial|Parallel|G1|Z|Shenandoah|Epsilon)GC'; then
      continue
    fi
    TROUPE_SERVICE_JVM_ARGS+=("$f")
  done
  TROUPE_SERVICE_JVM_ARGS+=(${opts[@]+"${opts[@]}"})
}
# The JVM's own word on TROUPE_SERVICE_JVM_OPTS, asked once per command before a service starts: with
# an option it does not know, a bad value or two that exclude each other (two collectors) every service
# JVM would exit at once with code 1, which a keeper retries up to its limit. Exits 2 with the JVM's words.
# Not asked with an agent among them (a debugger's may wait for its debugger, and holds its port), nor
# taken as a refusal when the JVM does not answer within TROUPE_JVM_CHECK_TIMEOUT_S (default 30).
troupe_check_service_jvm_opts() {
  if [ -z "${TROUPE_SERVICE_JVM_OPTS:-}" ] || [ -n "${TROUPE_SERVICE_JVM_OPTS_CHECKED:-}" ]; then
    return 0
  fi
  TROUPE_SERVICE_JVM_OPTS_CHECKED=1
  case " $TROUPE_SERVICE_JVM_OPTS" in
    *" -agentlib:"*|*" -agentpath:"*|*" -javaagent:"*) return 0 ;;
  esac
  troupe_service_jvm_args
  local said code=0
  said=$(timeout "${TROUPE_JVM_CHECK_TIMEOUT_S:-30}" "$TROUPE_JAVA" "${TROUPE_SERVICE_JVM_ARGS[@]}" -version 2>&1) \
    || code=$?
  if [ "$code" = 0 ] || [ "$code" = 124 ]; then # 124: timeout's own, the JVM did not answer
    return 0
  fi
  said=$(printf '%s\n' "$said" | { grep -v -x -e 'Error: Could not create the Java Virtual Machine.' \
    -e 'Error: A fatal exception has occurred. Program will exit.' || true; } | paste -s -d ';' - | sed 's/;/; /g')
  echo "troupe: TROUPE_SERVICE_JVM_OPTS: the JVM refuses the service JVMs' options ($TROUPE_SERVICE_JVM_OPTS):" \
    "${said:-it exited with code $code}" >&2
  exit 2
}
TROUPE_SERVICE_JVM_FLAGS=(-XX:+UseParallelGC -XX:ParallelGCThreads=1 -XX:YoungGenerationSizeSupplement=0 -Xss512k
  -Xms8m -Xmx256m -XX:MaxNewSize=40m -XX:SurvivorRatio=4
  -Dio.grpc.netty.shaded.io.netty.allocator.numDirectArenas=1 -Dio.grpc.netty.shaded.io.netty.allocator.numHeapArenas=1
  -Dio.grpc.netty.shaded.io.netty.jfr.enabled=false -Dio.grpc.netty.shaded.io.netty.leakDetection.level=disabled)
