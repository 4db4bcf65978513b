#!/usr/bin/env bash
# What runs on this machine, read from /proc (Linux), so that no ps, ss or lsof is needed: processes
# by an exact argument of their command line, their descendants, and who listens on a TCP port.
# Never by process name. Source it; it only defines functions.

# Whether PID is a live process. A zombie (exited, not yet reaped by its parent) counts as gone.
troupe_alive() { # pid
  local stat
  { read -r stat < "/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  case "${stat%% *}" in Z|X|x) return 1 ;; esac
  return 0
}

# The parent of PID (empty when PID is gone).
troupe_parent() { # pid
  local stat rest
  { read -r stat < "/proc/$1/stat"; } 2>/dev/null || return 0
  rest=${stat##*) }
  rest=${rest#* }
  echo "${rest%% *}"
}

# Puts PID's command line, one argument per element, into the array named ARRAY (empty when gone).
troupe_cmdline() { # pid array
  { mapfile -d '' -t "$2" < "/proc/$1/cmdline"; } 2>/dev/null || eval "$2=()"
}

# The PIDs of the processes whose command line has an argument equal to ARG, one a line.
troupe_pids_with_arg() { # arg
  local f
  # grep -z reads each command line as NUL-separated arguments, -x -F matches one whole argument.
  { grep -lzxF -e "$1" /proc/[0-9]*/cmdline 2>/dev/null || true; } | while IFS= read -r f; do
    f=${f#/proc/}
    echo "${f%/cmdline}"
  done
}

# Every live descendant of the PIDs given (children, their children...), one a line.
troupe_descendants() { # pid...
  [ $# -gt 0 ] || return 0
  # /proc/PID/stat is "PID (COMM) STATE PPID ...", and COMM may hold spaces and parentheses.
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v roots="$*" '
    { pid = $1; rest = $0; sub(/^.*\) /, "", rest); split(rest, f, " ")
      if (f[1] != "Z" && f[1] != "X") kids[f[2]] = kids[f[2]] " " pid }
    END {
      n = split(roots, queue, " ")
      for (i = 1; i <= n; i++) {
        m = split(kids[queue[i]], c, " ")
        for (j = 1; j <= m; j++) if (!(c[j] in seen)) { seen[c[j]] = 1; print c[j]; queue[++n] = c[j] }
      }
    }'
}

# The inodes of the TCP sockets listening on PORT at an address that a server binding ADDRESS
# (default: any) collides with: ADDRESS itself, the wildcard, or ADDRESS as an IPv4-mapped IPv6
# address (how a JVM's socket bound to 127.0.0.1 shows in /proc/net/tcp6).
troupe_listening_inodes() { # port [address]
  local port_hex v4=""
  port_hex=$(printf '%04X' "$1")
  if [[ ${2:-} =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] && [ "$2" != 0.0.0.0 ]; then
    # /proc/net/tcp prints an IPv4 address as one 32-bit word in host (little-endian) order.
    v4=$(printf '%02X%02X%02X%02X' "${BASH_REMATCH[4]}" "${BASH_REMATCH[3]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[1]}")
  fi
  { cat /proc/net/tcp /proc/net/tcp6 2>/dev/null || true; } | awk -v port=":$port_hex" -v v4="$v4" '
    $4 == "0A" && substr($2, length($2) - 4) == port {
      addr = substr($2, 1, length($2) - 5)
      if (v4 == "" || addr == v4 || addr ~ /^0+$/ || addr == "0000000000000000FFFF0000" v4) print $10
    }'
}

# The PID of a process holding the socket with INODE; fails when none this user can see holds it.
troupe_socket_owner() { # inode
  local fd
  fd=$(find /proc/[0-9]*/fd -maxdepth 1 -lname "socket:\[$1\]" -print -quit 2>/dev/null)
  [ -n "$fd" ] || return 1
  fd=${fd#/proc/}
  echo "${fd%%/*}"
}

# Whether process PID itself holds a socket listening on PORT (at any address).
troupe_pid_listens_on() { # pid port
  local inode
  for inode in $(troupe_listening_inodes "$2"); do
    [ -n "$(find "/proc/$1/fd" -maxdepth 1 -lname "socket:\[$inode\]" -print -quit 2>/dev/null)" ] && return 0
  done
  return 1
}

# "pid N (its command line)" for messages, the command line shortened in the middle when long.
troupe_describe_pid() { # pid
  local -a args
  local line
  troupe_cmdline "$1" args
  line="${args[*]:-?}"
  if [ "${#line}" -gt 160 ]; then
    line="${args[0]##*/} ... ${line: -100}"
  fi
  echo "pid $1 ($line)"
}
