#!/usr/bin/env bash
# `npm run dev:async`: both checkout modes on one machine, in one command. Starts the development
# Kafka broker (scripts/kafka.sh: Kafka from Maven Central, which needs Java 17+ and Maven), then
# builds and runs the app with both roles and what async mode requires: KAFKA_BROKERS,
# PUBLIC_URL, INTERNAL_SECRET, and an admin token to switch modes with. When the app stops
# (Ctrl-C), the broker stops too if this command started it.
#
# PORT (default 3000) and KAFKA_PORT (default 9092) choose the ports. Variables set beforehand
# are kept (ADMIN_TOKEN, CHECKOUT_MODE, DATABASE_URL, …).
set -euo pipefail
cd "$(dirname "$0")/.."

export PORT=${PORT:-3000}
export KAFKA_PORT=${KAFKA_PORT:-9092}

started_broker=false
stop_broker() {
  if $started_broker; then bash scripts/kafka.sh stop; fi
}
trap stop_broker EXIT
if ! bash scripts/kafka.sh status > /dev/null; then
  started_broker=true
  bash scripts/kafka.sh start
fi

secret() { node -p "require('node:crypto').randomBytes(24).toString('hex')"; }
export KAFKA_BROKERS=${KAFKA_BROKERS:-127.0.0.1:$KAFKA_PORT}
export PUBLIC_URL=${PUBLIC_URL:-http://127.0.0.1:$PORT}
INTERNAL_SECRET=${INTERNAL_SECRET:-$(secret)}
export INTERNAL_SECRET
# The mode of a first boot; a database that has run before keeps the mode an admin last set.
export CHECKOUT_MODE=${CHECKOUT_MODE:-async}
if [ -z "${ADMIN_TOKEN:-}${ADMIN_TOKENS:-}${ADMIN_JWKS_URL:-}" ]; then
  ADMIN_TOKEN=$(secret)
  export ADMIN_TOKEN
fi
if [ -n "${ADMIN_TOKEN:-}" ]; then
  cat <<SAY
dev:async: Kafka at $KAFKA_BROKERS; the app at http://localhost:$PORT (console: /admin).
dev:async: switch modes (sync, async or auto) with:
  curl -s -X PUT localhost:$PORT/admin/mode -H 'Authorization: Bearer $ADMIN_TOKEN' \\
    -H 'Content-Type: application/json' -d '{"mode":"async"}'
SAY
fi

npm start
