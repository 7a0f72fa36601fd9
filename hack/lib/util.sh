# shellcheck shell=bash
# Shell helpers shared by the hack/ scripts. Source it; it defines functions only.

# stride::log prints a line of progress on stderr, prefixed with the script's name.
stride::log() {
  echo "[$(basename "$0" .sh)] $*" >&2
}

# stride::die prints a message on stderr and exits 1.
stride::die() {
  stride::log "error: $*"
  exit 1
}

# stride::used_ports lists the local TCP ports in use (any state), one a line, in decimal.
stride::used_ports() {
  local f
  for f in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$f" ] || continue
    # local_address is "IP:PORT" in hex, the second column.
    awk 'NR > 1 { split($2, a, ":"); print a[2] }' "$f"
  done | while read -r hex; do echo $((16#$hex)); done | sort -un
}

# stride::free_ports N prints N distinct free loopback TCP ports, one a line. Ports are drawn at
# random below the kernel's ephemeral range, so they do not clash with outgoing connections,
# and checked against the ports in use and by a connection attempt.
stride::free_ports() {
  local want=$1 lo=20000 hi=32000 used picked=" " port tries=0
  read -r eph_lo _ < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || eph_lo=32768
  [ "$eph_lo" -gt $((lo + 1000)) ] && hi=$((eph_lo - 1))
  used=" $(stride::used_ports | tr '\n' ' ') "
  while [ "$want" -gt 0 ]; do
    tries=$((tries + 1))
    [ "$tries" -gt 1000 ] && { stride::log "no free port found"; return 1; }
    port=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo)))
    case "$used$picked" in *" $port "*) continue ;; esac
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
    picked="$picked$port "
    echo "$port"
    want=$((want - 1))
  done
}

# stride::proc_alive PID succeeds when PID is a running process (a zombie, exited but not yet
# reaped by its parent, counts as gone).
stride::proc_alive() {
  local state
  kill -0 "$1" 2>/dev/null || return 1
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# stride::pid_alive PIDFILE succeeds when PIDFILE names a running process.
stride::pid_alive() {
  local pid
  [ -f "$1" ] || return 1
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && stride::proc_alive "$pid"
}

# stride::stop_pids GRACE_SECONDS PIDFILE... sends TERM to every process the PIDFILEs name, then
# KILL to those still running after the grace period, waits until all are gone and removes the
# PIDFILEs. Missing PIDFILEs are skipped.
stride::stop_pids() {
  local grace=$1 file pid i alive
  shift
  local pids=()
  for file in "$@"; do
    [ -f "$file" ] || continue
    pid=$(cat "$file" 2>/dev/null || true)
    if [ -n "$pid" ] && stride::proc_alive "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  for ((i = 0; i < grace * 10 + 50; i++)); do
    alive=()
    for pid in "${pids[@]}"; do
      stride::proc_alive "$pid" && alive+=("$pid")
    done
    [ ${#alive[@]} -eq 0 ] && break
    if [ "$i" -eq $((grace * 10)) ]; then
      kill -KILL "${alive[@]}" 2>/dev/null || true
    fi
    sleep 0.1
  done
  for file in "$@"; do rm -f "$file"; done
}

# stride::wait_for SECONDS WHAT CMD... runs CMD every 0.2 s until it succeeds; fails with a
# message naming WHAT after SECONDS.
stride::wait_for() {
  local timeout=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      stride::log "timed out after ${timeout}s waiting for $what"
      return 1
    fi
    sleep 0.2
  done
}
