#!/usr/bin/env bash
# Installs the Debian packages of scripts/test-deps.txt that are missing (the one list; npm test,
# .ci/run and lab/ci.sh all call this script). A package is missing when dpkg does not have it
# installed or one of its binaries is not on PATH.
#
#   scripts/install-test-deps.sh            install what is missing (root, apt-get)
#   scripts/install-test-deps.sh --dry-run  print what is missing and the commands, change nothing
#   scripts/install-test-deps.sh --check    exit 1 when something is missing (prints the packages)
#
# Debian's maintainer scripts would start system squid/nginx/coturn/dnsmasq services on install:
# a temporary /usr/sbin/policy-rc.d (exit 101) forbids that; the tests and the lab start their own
# daemons in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=install
case "${1:-}" in
  --dry-run) mode=dry-run ;;
  --check) mode=check ;;
  '') ;;
  *) echo "usage: $0 [--dry-run|--check]" >&2; exit 2 ;;
esac

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q ' installed$'; }

missing=()
while read -r pkg bins; do
  [ -n "$pkg" ] || continue
  ok=1
  installed "$pkg" || ok=0
  for b in $bins; do command -v "$b" >/dev/null 2>&1 || ok=0; done
  [ "$ok" = 1 ] || missing+=("$pkg")
done < <(sed 's/#.*//' scripts/test-deps.txt)

if [ "${#missing[@]}" = 0 ]; then
  [ "$mode" = install ] || echo "test-deps: nothing missing"
  exit 0
fi

case "$mode" in
  check)
    echo "test-deps: missing ${missing[*]}"
    exit 1 ;;
  dry-run)
    echo "test-deps: missing ${missing[*]}"
    echo "test-deps: would run (as root): apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${missing[*]}"
    [ -e /usr/sbin/policy-rc.d ] || echo "test-deps: with a temporary /usr/sbin/policy-rc.d (exit 101) so no system service starts"
    exit 0 ;;
esac

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: missing ${missing[*]}; installing needs root and apt-get (sudo $0)" >&2
  exit 1
fi

echo "test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "test-deps: installed ${missing[*]}"
