#!/usr/bin/env bash
# Makes sure a Prometheus server binary exists and prints its path as the last line: the one
# on PATH when there is one, else Debian's `prometheus` package, installed with apt-get. The
# tests run it as a plain process; the package's service is not used.
set -euo pipefail

HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=hack/lib/util.sh
source "$HACK_DIR/lib/util.sh"

find_prometheus() {
  command -v prometheus 2>/dev/null && return 0
  [ -x /usr/bin/prometheus ] && echo /usr/bin/prometheus && return 0
  return 1
}

if bin=$(find_prometheus); then
  echo "$bin"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 ||
  stride::die "prometheus is not on PATH and apt-get is missing: install a Prometheus server (2.x) and put it on PATH"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || stride::die "installing prometheus with apt-get needs root or sudo"
  SUDO=sudo
fi

stride::log "installing Debian's prometheus package"
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -qq >&2; then
  stride::die "apt-get update failed: cannot install prometheus"
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends prometheus >&2; then
  # Without an init system the package's service cannot start; the binary is all we need.
  find_prometheus >/dev/null || stride::die "apt-get install prometheus failed"
  stride::log "apt-get reported an error, but the prometheus binary is installed"
fi
# The package may start its own service where an init system runs; the tests start their own.
bin=$(find_prometheus) || stride::die "apt-get installed prometheus but no prometheus binary was found"
"$bin" --version >/dev/null 2>&1 || stride::die "$bin does not run"
echo "$bin"
