#!/usr/bin/env bash
# A Zipkin server (in-memory storage) for development and tests, run from its Maven Central
# artifact: no Docker, no download outside Maven Central.
#
#   scripts/zipkin.sh fetch    resolve io.zipkin:zipkin-server's exec jar into .zipkin/ (Maven,
#                              cached in ~/.m2)
#   scripts/zipkin.sh start    start, wait until it answers (UI and API at http://127.0.0.1:PORT)
#   scripts/zipkin.sh stop     stop it, then wait for the process to end
#   scripts/zipkin.sh status   say whether it runs
#
# ZIPKIN_PORT (default 9411), ZIPKIN_DIR (default .zipkin/server-$ZIPKIN_PORT).
set -euo pipefail

# shellcheck source=scripts/pidfile.sh
. "$(dirname "$0")/pidfile.sh"

# Keep docker-compose.yml's openzipkin/zipkin tag the same.
version=3.5.1
root=$(cd "$(dirname "$0")/.." && pwd)
port=${ZIPKIN_PORT:-9411}
jar=$root/.zipkin/zipkin-server-$version-exec.jar
dir=${ZIPKIN_DIR:-$root/.zipkin/server-$port}
pidfile=$dir/zipkin.pid

fetch() {
  if [ -f "$jar" ]; then return; fi
  echo "zipkin: resolving zipkin-server $version from Maven Central into $(dirname "$jar")"
  mkdir -p "$(dirname "$jar")"
  local partial
  partial=$(mktemp -d "$root/.zipkin/partial.XXXXXX")
  if ! mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
    -Dartifact="io.zipkin:zipkin-server:$version:jar:exec" -DoutputDirectory="$partial"; then
    rm -rf "$partial"
    exit 1
  fi
  mv "$partial/zipkin-server-$version-exec.jar" "$jar"
  rm -rf "$partial"
}

running() {
  pidfile_running "$pidfile"
}

start() {
  fetch
  if running; then
    echo "zipkin: already running on 127.0.0.1:$port (pid $(cat "$pidfile"))"
    return
  fi
  mkdir -p "$dir"
  QUERY_PORT=$port STORAGE_TYPE=mem nohup java -Xms64m -Xmx256m -jar "$jar" >"$dir/zipkin.log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 240); do
    if curl -sf "http://127.0.0.1:$port/health" >/dev/null; then
      echo "zipkin: started on http://127.0.0.1:$port (pid $(cat "$pidfile"), log $dir/zipkin.log)"
      return
    fi
    if ! running; then
      echo "zipkin: the server exited while starting; its log:" >&2
      tail -40 "$dir/zipkin.log" >&2
      exit 1
    fi
    sleep 0.5
  done
  echo "zipkin: not started within 120 s; its log:" >&2
  tail -40 "$dir/zipkin.log" >&2
  exit 1
}

stop() {
  pidfile_stop zipkin "$pidfile" 20 "127.0.0.1:$port"
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) if running; then echo "zipkin: running on 127.0.0.1:$port"; else echo "zipkin: stopped"; exit 3; fi ;;
  *) echo "usage: $0 fetch|start|stop|status" >&2; exit 2 ;;
esac
