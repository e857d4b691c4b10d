#!/usr/bin/env bash
# Runs sqlmap against the login, order and admin endpoints of a server this script
# builds and starts on 127.0.0.1 (SQLite, ENVIRONMENT=development), and fails when
# sqlmap finds an injectable parameter or the server answers any probe with a 500.
# Nothing but the loopback server is ever targeted.
#
#   bash scripts/sqlmap.sh            # LEVEL=3 RISK=2 TIME_BUDGET=600 by default
#
# It takes about eight minutes on two cores, most of it the login scan, where every
# probe pays for a bcrypt comparison at cost 12. A scan cut short by TIME_BUDGET
# counts as a failure: an unfinished scan proves nothing.
#
# Installs Debian's sqlmap when it is missing (root). Rate limits are switched off
# for the scan: sqlmap sends thousands of requests, and 429s would hide answers.
set -euo pipefail
cd "$(dirname "$0")/.."

LEVEL=${LEVEL:-3}
RISK=${RISK:-2}
TIME_BUDGET=${TIME_BUDGET:-600} # seconds per sqlmap run
host=127.0.0.1

log() { echo "sqlmap.sh: $*"; }
fail() { echo "sqlmap.sh: FAIL: $*" >&2; exit 1; }

if ! command -v sqlmap >/dev/null; then
  [ "$(id -u)" -eq 0 ] || fail "sqlmap is missing: apt-get install sqlmap"
  log "installing sqlmap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlmap >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlmap >/dev/null; }
fi

work=$(mktemp -d)
cleanup() {
  if [ -n "${server_pid:-}" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ "${problems:-0}" -eq 0 ]; then rm -rf "$work"; else echo "sqlmap.sh: logs kept in $work" >&2; fi
}
trap cleanup EXIT

go build -o "$work/octopus" ./cmd/octopus
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://$host:$port"
export ENVIRONMENT=development DATABASE_URL="sqlite://$work/octopus.db" HTTP_ADDR="$host:$port" \
  METRICS_ADDR="$host:0" RATE_LIMIT_ENABLED=false LOCKOUT_THRESHOLD=100 \
  SECRET_KEY="sqlmap-scan-secret-$(openssl rand -hex 16)" \
  JWT_SECRET_KEY="sqlmap-scan-jwt-$(openssl rand -hex 16)"
cd "$work" # data/ (audit key, digests) lands in the scratch directory

admin_pw='Quiet-harbor-scan-91!'
trader_pw='Amber-falcon-scan-73!'
./octopus migrate >/dev/null
printf '%s\n' "$admin_pw" | ./octopus user create --username admin --email admin@example.com \
  --role admin >/dev/null
./octopus serve 2>"$work/serve.log" &
server_pid=$!
for _ in $(seq 1 50); do curl -sf -m 2 "$base/healthz" >/dev/null && break; sleep 0.2; done
curl -sf -m 2 "$base/healthz" >/dev/null || { cat "$work/serve.log"; fail "server did not start"; }

json() { curl -sf -m 10 -H 'Content-Type: application/json' "$@"; }
token() {
  json -d "{\"username\":\"$1\",\"password\":\"$2\"}" "$base/api/v1/auth/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
admin=$(token admin "$admin_pw")
json -H "Authorization: Bearer $admin" -d "{\"username\":\"trader1\",\"email\":\"t@example.com\",
  \"password\":\"$trader_pw\",\"role\":\"trader\"}" "$base/api/v1/admin/users" >/dev/null
json -H "Authorization: Bearer $admin" -d '{"symbol":"AAPL","base_asset":"AAPL",
  "quote_asset":"USD","tick_size":"0.01","lot_size":"1"}' "$base/api/v1/admin/symbols" >/dev/null
json -H "Authorization: Bearer $admin" -d '{"asset":"USD","amount":"100000","reason":"scan"}' \
  "$base/api/v1/admin/accounts/2/deposits" >/dev/null
trader=$(token trader1 "$trader_pw")
log "server on $base; admin and trader signed in"

problems=0
scan() { # scan NAME SQLMAP-ARGS...
  local name=$1
  shift
  log "scanning $name"
  local code=0
  timeout "$TIME_BUDGET" sqlmap --batch --flush-session --disable-coloring --level "$LEVEL" \
    --risk "$RISK" --time-sec 1 --timeout 10 --retries 1 --threads 4 \
    --output-dir "$work/sqlmap" "$@" >"$work/$name.log" 2>&1 || code=$?
  if [ "$code" -eq 124 ]; then
    log "$name: cut short after ${TIME_BUDGET}s; raise TIME_BUDGET"
    problems=1
  elif grep -Eq 'identified the following injection point|is vulnerable' "$work/$name.log"; then
    grep -E 'Parameter:|Type:|Payload:' "$work/$name.log" >&2 || true
    log "$name: INJECTABLE"
    problems=1
  elif grep -q '500 (Internal Server Error)' "$work/$name.log"; then
    grep -E 'HTTP error codes' "$work/$name.log" >&2 || true
    log "$name: the server answered 500"
    problems=1
  elif ! grep -q 'do not appear to be injectable' "$work/$name.log"; then
    tail -n 5 "$work/$name.log" >&2
    log "$name: sqlmap did not finish its tests"
    problems=1
  else
    log "$name: $(grep -c "\[INFO\] testing '" "$work/$name.log") techniques tried, no injection"
  fi
}

ct=(-H 'Content-Type: application/json')
# A failed login is a 401, which sqlmap would otherwise take as "stop here".
scan login -u "$base/api/v1/auth/login" "${ct[@]}" --ignore-code 401 \
  --data '{"username":"trader1*","password":"x*"}'
scan order -u "$base/api/v1/orders" "${ct[@]}" -H "Authorization: Bearer $trader" \
  --data '{"symbol":"AAPL*","side":"buy*","type":"limit*","price":"1.00*","quantity":"1*","client_order_id":"c1*"}'
scan orders-list -u "$base/api/v1/orders?symbol=AAPL&status=open&client_order_id=c1&limit=5" \
  -H "Authorization: Bearer $trader" -p symbol,status,client_order_id,limit
scan admin-users -u "$base/api/v1/admin/users" "${ct[@]}" -H "Authorization: Bearer $admin" \
  --data '{"username":"zed*","email":"zed@example.com*","password":"Zed-pass-4412!*","role":"user*"}'
scan admin-user-patch -u "$base/api/v1/admin/users/2*" --method PATCH "${ct[@]}" \
  -H "Authorization: Bearer $admin" --data '{"email":"t2@example.com*"}'
scan admin-events -u "$base/api/v1/admin/security-events?type=failed_login_attempt&ip=127.0.0.1&user_id=1" \
  -H "Authorization: Bearer $admin" -p type,ip,user_id
scan admin-deposit -u "$base/api/v1/admin/accounts/2*/deposits" "${ct[@]}" \
  -H "Authorization: Bearer $admin" --data '{"asset":"USD*","amount":"1*","reason":"r*"}'

[ "$problems" -eq 0 ] || fail "sqlmap found a problem"
log "no injectable parameter found"
