#!/usr/bin/env bash
# Checks the deployment files without a Docker engine:
#   1. deploy/docker-compose.yml parses and names what it should (services, the
#      internal network, published ports, Docker secrets through *_FILE variables,
#      health checks, restart policies, read-only roots, dropped capabilities);
#   2. deploy/Dockerfile and .dockerignore say what the image promises;
#   3. the static binary, as the image runs it: uid/gid 1001, a read-only root, a
#      writable /data, /tmp on tmpfs, production configuration with TLS and secrets
#      from files. It must migrate, serve /healthz, pass its own health check, write
#      only to /data and /tmp, and fail to write anywhere else.
# Step 3 runs as root: it sets up a mount namespace and drops to uid 1001. Where
# no namespace can be made (a container without CAP_SYS_ADMIN), a weaker check runs
# as uid 1001 without the read-only root, and says so.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "check-deploy: $*"; }
fail() { echo "check-deploy: FAIL: $*" >&2; exit 1; }

work=$(mktemp -d)
cleanup() {
  if [ -n "${server_pid:-}" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- 1. compose ---------------------------------------------------------------
python=python3
if ! "$python" -c 'import yaml' 2>/dev/null; then
  if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
    python=/usr/bin/python3
  elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    log "installing python3-yaml"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-yaml >/dev/null 2>&1 ||
      { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-yaml >/dev/null; }
    python=/usr/bin/python3
  else
    fail "python3 with PyYAML is needed (apt-get install python3-yaml)"
  fi
fi

bash deploy/make-secrets.sh "$work/secrets" >/dev/null
made=$(cd "$work/secrets" && ls | sort | tr '\n' ' ')

"$python" - deploy/docker-compose.yml "$made" <<'PY'
import sys, yaml

path, made = sys.argv[1], set(sys.argv[2].split())
doc = yaml.safe_load(open(path))
problems = []
def need(ok, msg):
    if not ok:
        problems.append(msg)

services = doc.get("services", {})
need({"api", "postgres", "redis"} <= set(services), "services api, postgres and redis")
nets = doc.get("networks", {})
need((nets.get("backend") or {}).get("internal") is True, "an internal backend network")
top_secrets = doc.get("secrets", {})
for name, s in top_secrets.items():
    f = s.get("file", "")
    need(f.startswith("./secrets/"), f"secret {name} comes from ./secrets/")
    need(f.removeprefix("./secrets/") in made, f"secret {name}: make-secrets.sh makes {f}")

secret_words = ("SECRET", "PASSWORD", "TOKEN", "DATABASE_URL", "REDIS_URL", "KEY")
for name, svc in services.items():
    env = svc.get("environment", {}) or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) for e in env)
    used = set(svc.get("secrets", []) or [])
    need(used <= set(top_secrets), f"{name}: secrets defined at the top level")
    for var, val in env.items():
        if var.endswith("_FILE"):
            need(str(val).startswith("/run/secrets/") and
                 str(val).removeprefix("/run/secrets/") in used,
                 f"{name}: {var} reads one of its Docker secrets")
        elif any(w in var for w in secret_words) and not var.startswith("CORS"):
            problems.append(f"{name}: {var} is set inline; use {var}_FILE and a secret")
    need(svc.get("read_only") is True, f"{name}: read_only: true")
    need("no-new-privileges:true" in (svc.get("security_opt") or []),
         f"{name}: no-new-privileges")
    need("ALL" in (svc.get("cap_drop") or []), f"{name}: cap_drop ALL")
    need(any(str(t).startswith("/tmp") for t in (svc.get("tmpfs") or [])),
         f"{name}: /tmp on tmpfs")
    need(svc.get("restart") in ("unless-stopped", "always", "on-failure", "no"),
         f"{name}: a restart policy")
    if name == "migrate":
        continue
    need(svc.get("restart") in ("unless-stopped", "always"), f"{name}: restarts")
    need("test" in (svc.get("healthcheck") or {}), f"{name}: a health check")
    if name != "api":
        need(not svc.get("ports"), f"{name}: publishes no port")
        need(svc.get("networks") == ["backend"], f"{name}: on the backend network only")

api = services.get("api", {})
need(str(api.get("user")) == "1001:1001", "api: runs as 1001:1001")
need(bool(api.get("ports")), "api: publishes its port")
need("backend" in (api.get("networks") or []), "api: reaches the backend network")
need(any(str(v).endswith(":/data") for v in api.get("volumes", [])), "api: a /data volume")
env = api.get("environment", {})
need(env.get("ENVIRONMENT") == "production", "api: ENVIRONMENT=production")
for var in ("SECRET_KEY_FILE", "JWT_SECRET_KEY_FILE", "DATABASE_URL_FILE", "REDIS_URL_FILE",
            "TLS_CERT_FILE", "TLS_KEY_FILE"):
    need(var in env, f"api: {var}")
need((api.get("depends_on") or {}).get("postgres", {}).get("condition") == "service_healthy",
     "api: waits for a healthy postgres")

if problems:
    print("\n".join("compose: " + p for p in problems), file=sys.stderr)
    sys.exit(1)
print("check-deploy: compose OK:", ", ".join(sorted(services)))
PY

if docker compose version >/dev/null 2>&1; then
  cp -r "$work/secrets" deploy/secrets.check && trap 'rm -rf deploy/secrets.check; cleanup' EXIT
  docker compose -f deploy/docker-compose.yml config -q || fail "docker compose config"
else
  log "docker compose not installed: parsed with PyYAML only"
fi

# --- 2. Dockerfile and .dockerignore --------------------------------------------
df=deploy/Dockerfile
[ "$(grep -c '^FROM ' "$df")" -ge 2 ] || fail "$df is not multi-stage"
grep -q '^FROM scratch' "$df" || fail "$df: final stage is not scratch"
grep -q 'CGO_ENABLED=0' "$df" || fail "$df: binary not static"
grep -q '^USER 1001:1001' "$df" || fail "$df: not USER 1001:1001"
grep -q '^HEALTHCHECK' "$df" || fail "$df: no HEALTHCHECK"
grep -q '^VOLUME \["/data"\]' "$df" || fail "$df: no /data volume"
for ignored in '\*' '\*\*/\*.key' '\*\*/data/'; do
  grep -qx "$ignored" .dockerignore || fail ".dockerignore lacks $ignored"
done
log "Dockerfile and .dockerignore OK"

# --- 3. the binary as the image runs it ------------------------------------------
root=$work/root
mkdir -p "$root/usr/local/bin" "$root/data" "$root/tmp" "$root/run/secrets" "$root/etc/ssl/certs"
CGO_ENABLED=0 go build -ldflags='-s -w' -o "$root/usr/local/bin/octopus" ./cmd/octopus
go version -m "$root/usr/local/bin/octopus" | grep -q 'CGO_ENABLED=0' || fail "binary not static"
if command -v readelf >/dev/null && readelf -l "$root/usr/local/bin/octopus" | grep -q interpreter; then
  fail "binary needs a dynamic loader"
fi
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/" 2>/dev/null || true
echo 'octopus:x:1001:1001::/data:/sbin/nologin' >"$root/etc/passwd"
chmod 1777 "$root/tmp"
data=$work/data
mkdir -p "$data"
secrets=$work/secrets

port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export ENVIRONMENT=production HTTP_ADDR=127.0.0.1:$port METRICS_ADDR=127.0.0.1:0 \
  SECRET_KEY_FILE=/run/secrets/secret_key JWT_SECRET_KEY_FILE=/run/secrets/jwt_secret_key \
  TLS_CERT_FILE=/run/secrets/tls.crt TLS_KEY_FILE=/run/secrets/tls.key \
  AUDIT_SIGNING_KEY_FILE=/run/secrets/audit_signing_key.pem

if [ "$(id -u)" -eq 0 ] && unshare --mount --fork true 2>/dev/null; then
  chown 1001:1001 "$data" && chmod 0700 "$data"
  chown -R 1001:1001 "$secrets"
  # Inside a private mount namespace: the root read-only, /data and /tmp writable,
  # the secrets read-only, as docker-compose.yml mounts them.
  unshare --mount --fork bash -euo pipefail -s "$root" "$data" "$secrets" "$port" "$work" \
    <<'SANDBOX'
root=$1 data=$2 secrets=$3 port=$4 logs=$5
fail() { echo "check-deploy: FAIL: $*" >&2; exit 1; }
mount --make-rprivate /
mount --bind "$root" "$root"
mount --bind "$data" "$root/data"
mount -t tmpfs -o size=16m,mode=1777 tmpfs "$root/tmp"
mount --bind "$secrets" "$root/run/secrets"
mount -o remount,bind,ro "$root/run/secrets"
mount -o remount,bind,ro "$root"
as1001() { chroot --userspec=1001:1001 "$root" /usr/local/bin/octopus "$@"; }

touch "$root/usr/probe" 2>/dev/null && fail "root filesystem is writable"
as1001 migrate >/dev/null || fail "migrate as uid 1001"
[ -f "$data/octopus.db" ] || fail "the database did not land in /data"
if DATABASE_URL=sqlite:///var/octopus.db as1001 migrate >/dev/null 2>&1; then
  fail "the binary wrote outside /data"
fi
if DATABASE_URL=sqlite:///var/octopus.db chroot "$root" /usr/local/bin/octopus migrate \
  >/dev/null 2>&1; then
  fail "even root wrote to the read-only root"
fi
as1001 validate >"$logs/validate.out" || { cat "$logs/validate.out"; fail "validate"; }

# A plain command, not the function: $! must be the server itself.
chroot --userspec=1001:1001 "$root" /usr/local/bin/octopus serve >"$logs/serve.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  curl -ksf -m 2 "https://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -ksf -m 5 "https://127.0.0.1:$port/healthz" >/dev/null || { cat "$logs/serve.log"; fail "no /healthz"; }
as1001 healthcheck >/dev/null || fail "octopus healthcheck"
[ "$(stat -c %u /proc/$pid)" = 1001 ] || fail "server does not run as uid 1001"
[ "$(awk '/^Gid:/ {print $2}' /proc/$pid/status)" = 1001 ] || fail "server gid is not 1001"
curl -ks -m 5 -o /dev/null -w '%{http_code}' "https://127.0.0.1:$port/api/v1/me" | grep -q 401 ||
  fail "the API does not answer"
stray=$(find "$data" ! -user 1001 | head -n1)
[ -z "$stray" ] || fail "$stray in /data is not owned by 1001"
kill "$pid"
wait "$pid" 2>/dev/null || true
echo "check-deploy: binary OK: uid/gid 1001, read-only root, writes only /data and /tmp," \
  "TLS /healthz, secrets from files"
SANDBOX
else
  log "no mount namespace: checking uid 1001 without a read-only root"
  [ "$(id -u)" -eq 0 ] || fail "root is needed to run the binary as uid 1001"
  command -v setpriv >/dev/null || fail "setpriv is needed"
  chmod 0755 "$work"
  chown -R 1001:1001 "$data" "$secrets"
  as1001() {
    (cd "$data" && setpriv --reuid=1001 --regid=1001 --clear-groups "$root/usr/local/bin/octopus" "$@")
  }
  export SECRET_KEY_FILE=$secrets/secret_key JWT_SECRET_KEY_FILE=$secrets/jwt_secret_key \
    TLS_CERT_FILE=$secrets/tls.crt TLS_KEY_FILE=$secrets/tls.key DATABASE_URL=sqlite://data.db \
    AUDIT_SIGNING_KEY_FILE=$secrets/audit_signing_key.pem
  as1001 migrate >/dev/null || fail "migrate as uid 1001"
  (cd "$data" && exec setpriv --reuid=1001 --regid=1001 --clear-groups \
    "$root/usr/local/bin/octopus" serve) >"$work/serve.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 50); do
    curl -ksf -m 5 "https://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -ksf -m 5 "https://127.0.0.1:$port/healthz" >/dev/null || fail "no /healthz"
  [ "$(stat -c %u /proc/$server_pid)" = 1001 ] || fail "server does not run as uid 1001"
  log "binary OK as uid 1001 (read-only root not checked)"
fi
log "all deployment checks passed"
