# Sourced by the scripts that run a server of their own (kafka.sh, zipkin.sh): a server known by
# its pidfile, and how to stop it.

# Whether the process the pidfile names is running.
pidfile_running() {
  local pidfile=$1
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# Stops the process the pidfile names with SIGTERM, waits up to `seconds` for it to end, then
# kills it; says what happened under `name`.
pidfile_stop() {
  local name=$1 pidfile=$2 seconds=$3 where=$4
  if ! pidfile_running "$pidfile"; then
    echo "$name: not running on $where"
    rm -f "$pidfile"
    return
  fi
  local pid
  pid=$(cat "$pidfile")
  kill -TERM "$pid"
  for _ in $(seq 1 $((seconds * 2))); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pidfile"
      echo "$name: stopped"
      return
    fi
    sleep 0.5
  done
  echo "$name: not stopped within $seconds s; killing pid $pid" >&2
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}
