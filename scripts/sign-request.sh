#!/usr/bin/env bash
# Signs one Octopus API request with an HMAC API key and prints the headers to send,
# one per line, ready for `curl -H @file`:
#
#   X-Octopus-Timestamp: <Unix milliseconds>
#   X-Octopus-Signature: hmac-sha256=<hex>
#   X-API-Key: <key>                       (only with -k)
#
# usage: sign-request.sh [-k] METHOD PATH_AND_QUERY [BODY_FILE]
#
# The key comes from OCTOPUS_API_KEY or from the file named by OCTOPUS_API_KEY_FILE,
# never from the command line, where other users could read it in the process list.
# BODY_FILE must hold exactly the bytes sent (curl --data-binary @BODY_FILE); leave it
# out for a request without a body. OCTOPUS_TIMESTAMP overrides the clock (tests).
#
# The signature is HMAC-SHA256, keyed with the 32 raw bytes of the key's secret, over
#   METHOD \n PATH?QUERY \n TIMESTAMP \n hex(SHA-256(body))
# (see internal/auth/apikey). HMAC is built here from two SHA-256 passes (RFC 2104)
# so the key only ever travels through pipes, never through an argument list.
set -euo pipefail

usage() {
	echo "usage: $0 [-k] METHOD PATH_AND_QUERY [BODY_FILE]" >&2
	exit 2
}

with_key=0
if [ "${1:-}" = "-k" ]; then
	with_key=1
	shift
fi
[ $# -ge 2 ] && [ $# -le 3 ] || usage
method=$1
path=$2
body=${3:-}

key=${OCTOPUS_API_KEY:-}
if [ -z "$key" ] && [ -n "${OCTOPUS_API_KEY_FILE:-}" ]; then
	key=$(<"$OCTOPUS_API_KEY_FILE")
	key=${key%%[[:space:]]*}
fi
if ! [[ $key =~ ^oct_[a-z2-7]{12}_([a-z2-7]{52})$ ]]; then
	echo "$0: set OCTOPUS_API_KEY (or OCTOPUS_API_KEY_FILE) to an oct_ key" >&2
	exit 2
fi
secret=${BASH_REMATCH[1]}
[[ $method =~ ^[A-Z]+$ ]] || { echo "$0: METHOD must be upper case" >&2; exit 2; }
[[ $path == /* ]] || { echo "$0: PATH_AND_QUERY must start with /" >&2; exit 2; }

# hexof prints its standard input as lower-case hex.
hexof() { od -An -v -tx1 | tr -d ' \n'; }

# The HMAC key: the secret decoded from unpadded lower-case base32 (52 symbols = 32
# bytes; base32 wants upper case and padding to a multiple of 8).
key_hex=$(printf '%s====' "$secret" | tr 'a-z' 'A-Z' | base32 -d | hexof)
[ ${#key_hex} -eq 64 ] || { echo "$0: cannot decode the key secret" >&2; exit 2; }

if [ -n "${OCTOPUS_TIMESTAMP:-}" ]; then
	ts=$OCTOPUS_TIMESTAMP
else
	ts=$(date +%s%3N)
	[[ $ts =~ ^[0-9]+$ ]] || ts=$(($(date +%s) * 1000))
fi

if [ -n "$body" ]; then
	body_hash=$(openssl dgst -sha256 -binary <"$body" | hexof)
else
	body_hash=$(printf '' | openssl dgst -sha256 -binary | hexof)
fi
canonical=$(printf '%s\n%s\n%s\n%s' "$method" "$path" "$ts" "$body_hash")

# RFC 2104: HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)), K zero-padded to the
# 64-byte SHA-256 block. The pads are built as printf escapes; printf is a builtin.
ipad='' opad=''
for ((i = 0; i < 64; i++)); do
	b=0
	((i < 32)) && b=$((16#${key_hex:2*i:2}))
	printf -v x '\\x%02x' $((b ^ 0x36))
	ipad+=$x
	printf -v x '\\x%02x' $((b ^ 0x5c))
	opad+=$x
done
# shellcheck disable=SC2059 # the pads are formats on purpose: their escapes are the bytes
inner=$({ printf "$ipad"; printf '%s' "$canonical"; } | openssl dgst -sha256 -binary | hexof)
inner_esc=''
for ((i = 0; i < 64; i += 2)); do
	inner_esc+="\\x${inner:i:2}"
done
# shellcheck disable=SC2059
mac=$({ printf "$opad"; printf "$inner_esc"; } | openssl dgst -sha256 -binary | hexof)

printf 'X-Octopus-Timestamp: %s\n' "$ts"
printf 'X-Octopus-Signature: hmac-sha256=%s\n' "$mac"
if [ "$with_key" = 1 ]; then
	printf 'X-API-Key: %s\n' "$key"
fi
