#!/usr/bin/env bash
# Keeps one service JVM running: started by scripts/troupe, it runs the command after "--", writes
# the JVM's PID to PID_FILE, and starts it again when it dies of anything but a clean exit or a stop
# (kill -9, a crash, or a node that stopped itself after being declared lost). TERM or INT stops the
# JVM and then the keeper. A crash loop (5 quick deaths in a row) gives up, saying so in the log.
#
# Usage: keeper.sh NAME PID_FILE -- COMMAND...
# Settings: TROUPE_RESTART_DELAY_MS (default 100): the wait before a restart.
set -u
name=$1
pid_file=$2
shift 3
delay_ms=${TROUPE_RESTART_DELAY_MS:-100}
stopping=0
child=""
trap 'stopping=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM INT
quick_deaths=0
while :; do
  started=$(date +%s)
  "$@" &
  child=$!
  echo "$child" > "$pid_file"
  code=0
  # wait returns early when a trapped signal arrives; wait again until the JVM has really ended
  while kill -0 "$child" 2>/dev/null; do
    wait "$child"
    code=$?
  done
  if [ "$stopping" = 1 ] || [ "$code" = 0 ]; then
    exit 0
  fi
  if [ $(( $(date +%s) - started )) -lt 2 ]; then
    quick_deaths=$((quick_deaths + 1))
  else
    quick_deaths=0
  fi
  if [ "$quick_deaths" -ge 5 ]; then
    echo "keeper: $name died 5 times within 2 s of starting (last exit code $code); giving up" >&2
    exit 1
  fi
  echo "keeper: $name (pid $child) exited with code $code; restarting in ${delay_ms} ms" >&2
  sleep "$(awk "BEGIN { print $delay_ms / 1000 }")"
done
