#!/usr/bin/env bash
# The whole test suite: starts (or installs) PostgreSQL and Redis, then vet, unit and
# integration tests, the race detector on the concurrent packages, short fuzz runs and
# the Prometheus rule tests.
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(bash scripts/services.sh)"
export OCTOPUS_TEST_DATABASE_URL OCTOPUS_TEST_REDIS_URL

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt wants to change:"; echo "$unformatted"; exit 1; fi

echo "== go vet"
go vet ./...

echo "== go test"
go test -count=1 -timeout 15m ./...

echo "== go test -race (packages with goroutines)"
go test -count=1 -race -timeout 15m \
  ./internal/trading/... ./internal/ledger/... ./internal/engine/... ./internal/auth/... \
  ./internal/ratelimit/... ./internal/siem/... ./internal/store/... ./internal/httpapi/... \
  ./internal/security/...

echo "== fuzz (short runs)"
FUZZTIME=${FUZZTIME:-10s}
fuzz() { go test -run '^$' -fuzz "^$2\$" -fuzztime "$FUZZTIME" "$1"; }
fuzz ./internal/money FuzzParse
fuzz ./internal/replay FuzzParseMessage
fuzz ./internal/clientip FuzzClientIP
fuzz ./internal/auth/apikey FuzzParse
fuzz ./internal/siem FuzzFormatRFC5424
fuzz ./internal/httpapi FuzzDecodeBytes
fuzz ./internal/httpapi FuzzOrderCreate
fuzz ./internal/httpapi FuzzLogin
fuzz ./internal/httpapi FuzzAdmin

echo "== deployment files and the binary as the image runs it"
bash scripts/check-deploy.sh

if [ -f scripts/ci-promtool.sh ]; then
  echo "== promtool"
  bash scripts/ci-promtool.sh
fi
echo "== all checks passed"
