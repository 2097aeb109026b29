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

# The Debian packages of scripts/test-deps.txt that are missing (without starting their services).
bash scripts/install-test-deps.sh

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
