#!/usr/bin/env bash
# The lab part of CI (called from .ci/run as root): install what the lab needs, build the NFQUEUE
# delay helper, prove the knobs (selftest), then run the scenario suite. Daemons are never started
# through systemd: the lab runs each one in the foreground inside its own namespace.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "lab/ci.sh: needs root (network namespaces, nftables, tc)" >&2
  exit 1
fi

PKGS="dnsmasq squid-openssl nginx-light coturn iperf3 mitmproxy iptables nftables libnetfilter-queue-dev gcc libc6-dev dnsutils iputils-ping socat curl iproute2 openssl procps"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "lab/ci.sh: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  # keep Debian's maintainer scripts from starting system squid/nginx/dnsmasq/coturn services
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing
  if [ "$own_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
fi

# leftovers of an earlier, killed run
timeout 60 npm run -s lab -- down --all
npm run -s lab -- build

start=$(date +%s)
status=0
timeout 300 npm run -s lab -- selftest || status=$?
timeout 900 npm run -s lab -- test || status=$?
timeout 60 npm run -s lab -- down --all || true
echo "lab/ci.sh: lab took $(( $(date +%s) - start )) s"
exit $status
