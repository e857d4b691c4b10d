#!/usr/bin/env bash
# Makes the Docker secrets deploy/docker-compose.yml reads, in DIR (default
# deploy/secrets): random keys and passwords, the URLs built from them, and
# self-signed certificates for the API and PostgreSQL. Replace secrets/tls.crt and
# secrets/tls.key with the real certificate of the public host name; the API
# reloads them without a restart. Existing files are kept, so running it again
# only fills gaps. Run as root to give each file to the uid that reads it.
set -euo pipefail

dir=${1:-"$(dirname "$0")/secrets"}
host=${OCTOPUS_HOST:-localhost}
mkdir -p "$dir"
chmod 700 "$dir"
umask 077

rand() { openssl rand -base64 48 | tr -d '\n/+=' | cut -c1-48; }

put() { # put NAME VALUE: write once, without a trailing newline
  [ -e "$dir/$1" ] || printf '%s' "$2" >"$dir/$1"
}

put secret_key "$(rand)"
put jwt_secret_key "$(rand)"
put metrics_token "$(rand)"
put postgres_password "$(rand)"
put redis_password "$(rand)"
put database_url "postgres://octopus:$(cat "$dir/postgres_password")@postgres:5432/octopus?sslmode=require"
put redis_url "redis://:$(cat "$dir/redis_password")@redis:6379/0"

cert() { # cert NAME CN
  [ -e "$dir/$1.crt" ] && return
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
    -subj "/CN=$2" -addext "subjectAltName=DNS:$2" \
    -keyout "$dir/$1.key" -out "$dir/$1.crt" 2>/dev/null
}
cert tls "$host"
cert postgres_tls postgres
# The audit trail's digests are signed with Ed25519; production never makes this
# key up by itself. Keep a copy of audit_signing_key.pem.pub for `octopus audit verify`.
if [ ! -e "$dir/audit_signing_key.pem" ]; then
  openssl genpkey -algorithm ed25519 -out "$dir/audit_signing_key.pem"
  openssl pkey -in "$dir/audit_signing_key.pem" -pubout -out "$dir/audit_signing_key.pem.pub"
fi

# Secrets are bind-mounted with these owners: the API runs as 1001, PostgreSQL and
# Redis as 999 in their official images. PostgreSQL refuses a key others can read.
if [ "$(id -u)" -eq 0 ]; then
  chown 1001:1001 "$dir"/{secret_key,jwt_secret_key,metrics_token,database_url,redis_url} \
    "$dir"/{tls.crt,tls.key,audit_signing_key.pem,audit_signing_key.pem.pub}
  chown 999:999 "$dir"/{postgres_password,postgres_tls.crt,postgres_tls.key,redis_password}
  chmod 0711 "$dir"
fi
chmod 0600 "$dir"/*
chmod 0644 "$dir/audit_signing_key.pem.pub"
echo "secrets in $dir"
