#!/usr/bin/env bash
# A single-node Apache Kafka broker (KRaft) for development and tests, run from its Maven
# artifacts: no Docker, no download outside Maven Central.
#
#   scripts/kafka.sh fetch    resolve the broker's jars into .kafka/libs-<version> (Maven, cached
#                             in ~/.m2); the version is kafka/pom.xml's, so a new one is fetched
#                             beside the old, which a broker still running from it keeps using
#   scripts/kafka.sh start    format storage if new, start, wait until it answers
#   scripts/kafka.sh stop     controlled shutdown (SIGTERM), then wait for the process to end
#   scripts/kafka.sh status   say whether it runs
#
# KAFKA_PORT (default 9092; the controller listens on the next port), KAFKA_DIR (default
# .kafka/broker-$KAFKA_PORT), KAFKA_HEAP (default 512m).
set -euo pipefail

# shellcheck source=scripts/pidfile.sh
. "$(dirname "$0")/pidfile.sh"

root=$(cd "$(dirname "$0")/.." && pwd)
port=${KAFKA_PORT:-9092}
controller_port=$((port + 1))
dir=${KAFKA_DIR:-$root/.kafka/broker-$port}
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$root/kafka/pom.xml")
[ -n "$version" ] || { echo "kafka: no <kafka.version> in kafka/pom.xml" >&2; exit 1; }
libs=$root/.kafka/libs-$version
heap=${KAFKA_HEAP:-512m}
pidfile=$dir/broker.pid

fetch() {
  if [ -d "$libs" ]; then return; fi
  echo "kafka: resolving Kafka $version from Maven Central into $libs"
  # Resolved aside and renamed: a start running at the same time never sees half the jars.
  local partial
  mkdir -p "$(dirname "$libs")"
  partial=$(mktemp -d "$libs.partial.XXXXXX")
  if ! mvn -q -B -f "$root/kafka/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$partial"; then
    rm -rf "$partial"
    exit 1
  fi
  mv -T "$partial" "$libs" 2>/dev/null || rm -rf "$partial"
}

running() {
  pidfile_running "$pidfile"
}

# Kafka 4 logs through Log4j 2; its own scripts pass the configuration the same way.
java_cmd() {
  java -Xms128m -Xmx"$heap" -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$root/kafka/log4j2.yaml" \
    -cp "$libs/*" "$@"
}

java_background() {
  nohup java -Xms128m -Xmx"$heap" -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$root/kafka/log4j2.yaml" \
    -cp "$libs/*" "$@" >>"$dir/broker.log" 2>&1 &
  echo $! >"$pidfile"
  echo "$version" >"$dir/broker.version"
}

# The release a running broker was started from (brokers this script started before it
# recorded one ran from .kafka/libs).
running_version() {
  cat "$dir/broker.version" 2>/dev/null || echo "unknown"
}

configure() {
  mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
auto.create.topics.enable=false
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
PROPS
  if [ ! -f "$dir/data/meta.properties" ]; then
    # StorageTool calls exit(), so it runs as its own JVM. With controller.quorum.voters set (a
    # static quorum) it formats without --standalone, which it refuses in that case.
    local cluster_id
    cluster_id=$(java_cmd kafka.tools.StorageTool random-uuid)
    java_cmd kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" >/dev/null
  fi
}

start() {
  fetch
  if running; then
    echo "kafka: already running on 127.0.0.1:$port (pid $(cat "$pidfile"), Kafka $(running_version))"
    if [ "$(running_version)" != "$version" ]; then
      echo "kafka: left running as it is; stop it and start again to run Kafka $version" >&2
    fi
    return
  fi
  configure
  : >"$dir/broker.log"
  java_background kafka.Kafka "$dir/server.properties"
  for _ in $(seq 1 120); do
    if grep -q "Kafka Server started" "$dir/broker.log"; then
      echo "kafka: Kafka $version started on 127.0.0.1:$port (pid $(cat "$pidfile"), log $dir/broker.log)"
      return
    fi
    if ! running; then
      echo "kafka: the broker exited while starting; its log:" >&2
      tail -40 "$dir/broker.log" >&2
      exit 1
    fi
    sleep 0.5
  done
  echo "kafka: not started within 60 s; its log:" >&2
  tail -40 "$dir/broker.log" >&2
  exit 1
}

stop() {
  pidfile_stop kafka "$pidfile" 30 "127.0.0.1:$port"
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) if running; then echo "kafka: Kafka $(running_version) running on 127.0.0.1:$port"; else echo "kafka: stopped"; exit 3; fi ;;
  *) echo "usage: $0 fetch|start|stop|status" >&2; exit 2 ;;
esac
