#!/bin/sh
# Installs Debian's iproute2 (`ip`, `ss`) for the multi-host topology test (network/test/netns.integration.test.ts,
# COFFEE_TOPOLOGY=netns) when it is missing. Network namespaces need root anyway: without root it says what to do.
set -eu
if command -v ip >/dev/null 2>&1 && command -v ss >/dev/null 2>&1; then exit 0; fi
echo "[setup] installing Debian's iproute2 for the netns topology test (apt-get) …"
if [ "$(id -u)" != 0 ]; then
  echo "error: ip/ss are missing; install them with: sudo apt-get install -y iproute2" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null
echo "[setup] iproute2 installed: $(ip -V)"
