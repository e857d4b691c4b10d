#!/usr/bin/env bash
# Makes PostgreSQL and Redis reachable on loopback for the test suite: starts them when
# installed but down, installs them from Debian packages when missing (root only), and
# prints the export lines for the URLs the tests read.
set -euo pipefail

PG_URL=${OCTOPUS_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/octopus_test?sslmode=disable}
REDIS_URL=${OCTOPUS_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}

log() { echo "services: $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1; fi
}

apt_install() {
  log "installing $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

ensure_postgres() {
  if ! command -v pg_ctlcluster >/dev/null && ! pg_up; then
    apt_install postgresql postgresql-client
  fi
  if ! pg_up; then
    local ver
    ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)
    if [ -z "$ver" ]; then log "no PostgreSQL cluster found"; return 1; fi
    log "starting PostgreSQL $ver"
    as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start >&2 || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
  pg_up || { log "PostgreSQL did not come up"; return 1; }
  # Trust auth is the machine's default; fall back to the postgres OS user otherwise.
  local db
  db=$(echo "$PG_URL" | sed -E 's#^[a-z]+://[^/]*/([^?]*).*#\1#')
  if ! psql "${PG_URL}" -Atqc 'select 1' >/dev/null 2>&1; then
    log "creating database $db"
    psql -h 127.0.0.1 -U postgres -Atqc "create database \"$db\"" >&2 2>/dev/null ||
      as_root su postgres -c "psql -Atqc 'create database \"$db\"'" >&2
  fi
  psql "$PG_URL" -Atqc 'select 1' >/dev/null
}

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

ensure_redis() {
  if ! command -v redis-server >/dev/null && ! redis_up; then
    apt_install redis-server
  fi
  if ! redis_up; then
    log "starting Redis"
    mkdir -p /tmp/octopus-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /tmp/octopus-redis --logfile /tmp/octopus-redis/redis.log >&2
    for _ in $(seq 1 30); do redis_up && break; sleep 0.5; done
  fi
  redis_up || { log "Redis did not come up"; return 1; }
}

ensure_postgres
ensure_redis
echo "export OCTOPUS_TEST_DATABASE_URL='$PG_URL'"
echo "export OCTOPUS_TEST_REDIS_URL='$REDIS_URL'"
