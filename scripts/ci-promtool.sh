#!/bin/sh
# Checks the Prometheus configuration and alert rules and runs their unit tests.
# Installs promtool from the Debian package "prometheus" when it is missing and the
# script runs as root; otherwise it stops and says what to install.
set -eu

cd "$(dirname "$0")/.."
dir=deploy/prometheus

if ! command -v promtool >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "ci-promtool: promtool not found; install it (apt-get install prometheus)" \
			"or run this script as root" >&2
		exit 1
	fi
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "ci-promtool: promtool not found and apt-get is not available" >&2
		exit 1
	fi
	echo "ci-promtool: installing promtool (Debian package prometheus)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends prometheus
fi

promtool --version 2>&1 | head -n 1
promtool check rules "$dir/alerts.yml"
# The scrape config names a token file that exists only in a deployment.
promtool check config --syntax-only "$dir/prometheus.yml"
promtool test rules "$dir/alerts_test.yml"
