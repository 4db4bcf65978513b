#!/usr/bin/env bash
# Keeps one service JVM running: started by scripts/troupe, it runs the command after "--", writes
# the JVM's PID to PID_FILE, and starts it again when it dies of anything but a clean exit or a stop
# (kill -9, a crash, or a node that stopped itself after being declared lost). TERM or INT stops the
# JVM and then the keeper.
#
# It gives up, saying so in the log and exiting 1, after TROUPE_KEEPER_MAX_FAILED_STARTS failed starts
# within TROUPE_KEEPER_FAILED_START_WINDOW_S seconds, and at the first one that ends with exit code 2:
# the services' usage error (an unknown or refused option, a bad value), which no restart can heal. A failed start is a JVM that ends with an error
# of its own before it listens on PORT: its port is taken, its options or class path are wrong, it
# cannot read its topology file. Restarting such a JVM only repeats the failure. How long it lived
# does not tell (a JVM takes a second to fail on an idle machine and several on a busy one); whether
# it got to listen does. A JVM that has listened has shown it can start, and it is started again
# however often it dies afterwards: that is what the keeper is for. So is one killed from outside
# (KILL, TERM, INT, HUP: an operator, a test, the kernel's OOM killer) before it listened: it did not
# fail by itself.
#
# Usage: keeper.sh NAME PID_FILE PORT -- COMMAND...
# Settings (environment variables):
#   TROUPE_RESTART_DELAY_MS              the wait before a restart (default 100)
#   TROUPE_KEEPER_MAX_FAILED_STARTS      failed starts within the window that make it give up (default 5)
#   TROUPE_KEEPER_FAILED_START_WINDOW_S  that window, in seconds (default 120)
set -u
source "$(dirname "${BASH_SOURCE[0]}")/proc.sh"
if [ $# -lt 5 ] || [ "$4" != -- ]; then
  echo "usage: keeper.sh NAME PID_FILE PORT -- COMMAND..." >&2
  exit 2
fi
name=$1
pid_file=$2
port=$3
shift 4
delay_ms=${TROUPE_RESTART_DELAY_MS:-100}
max_failed_starts=${TROUPE_KEEPER_MAX_FAILED_STARTS:-5}
failed_start_window_s=${TROUPE_KEEPER_FAILED_START_WINDOW_S:-120}
# How often it looks whether the JVM listens yet while the JVM starts (then it only waits): often
# during a normal start, then less often for a JVM that takes long (each look costs a few processes).
listen_poll_s=0.2
listen_poll_slow_s=1
listen_polls_before_slowing=50

stopping=0
child=""
# A function, not a command string: a string trap is parsed when the signal comes, and bash has
# failed to parse it ("unexpected EOF while looking for matching `)'") when the signal came while it
# was inside a command substitution of proc.sh, leaving the keeper running after TERM.
on_stop() {
  stopping=1
  [ -n "$child" ] && kill -TERM "$child" 2>/dev/null
}
trap on_stop TERM INT
failed_starts=() # when each failed start within the window ended, in seconds since the epoch

# Remembers a failed start now, and forgets those that have left the window.
count_failed_start() {
  local now t kept=()
  now=$(date +%s)
  for t in ${failed_starts[@]+"${failed_starts[@]}"}; do
    [ $((now - t)) -lt "$failed_start_window_s" ] && kept+=("$t")
  done
  failed_starts=(${kept[@]+"${kept[@]}"} "$now")
}

while [ "$stopping" = 0 ]; do
  "$@" &
  child=$!
  echo "$child" > "$pid_file"
  listened=0
  polls=0
  while [ "$stopping" = 0 ] && troupe_alive "$child"; do
    if troupe_pid_listens_on "$child" "$port"; then
      listened=1
      break
    fi
    polls=$((polls + 1))
    if [ "$polls" -le "$listen_polls_before_slowing" ]; then sleep "$listen_poll_s"; else sleep "$listen_poll_slow_s"; fi
  done
  # A stop that came while the JVM was being started (the trap saw the previous one) stops this one.
  [ "$stopping" = 1 ] && kill -TERM "$child" 2>/dev/null
  # wait returns early when a trapped signal arrives; wait again until the JVM has really ended
  wait "$child"
  code=$?
  while kill -0 "$child" 2>/dev/null; do
    wait "$child"
    code=$?
  done
  if [ "$stopping" = 1 ] || [ "$code" = 0 ]; then
    exit 0
  fi
  case "$code" in
    129|130|137|143) killed=1 ;; # 128 + HUP, INT, KILL, TERM
    *) killed=0 ;;
  esac
  if [ "$listened" = 1 ] || [ "$killed" = 1 ]; then
    echo "keeper: $name (pid $child) exited with code $code; restarting in ${delay_ms} ms" >&2
  else
    if [ "$code" = 2 ]; then
      echo "keeper: $name (pid $child) exited with code 2 before it listened on port $port: its options are" \
        "wrong (see the lines above); giving up, a restart would only repeat it" >&2
      exit 1
    fi
    count_failed_start
    if [ "${#failed_starts[@]}" -ge "$max_failed_starts" ]; then
      echo "keeper: $name failed to start ${#failed_starts[@]} times within ${failed_start_window_s} s (the last," \
        "pid $child, exited with code $code before it listened on port $port); giving up" \
        "(TROUPE_KEEPER_MAX_FAILED_STARTS=$max_failed_starts, TROUPE_KEEPER_FAILED_START_WINDOW_S=$failed_start_window_s)" >&2
      exit 1
    fi
    echo "keeper: $name (pid $child) failed to start: exited with code $code before it listened on port $port" \
      "(${#failed_starts[@]} of $max_failed_starts failed starts within ${failed_start_window_s} s); restarting in ${delay_ms} ms" >&2
  fi
  sleep "$(awk "BEGIN { print $delay_ms / 1000 }")"
done
exit 0
