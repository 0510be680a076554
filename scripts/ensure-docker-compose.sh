#!/bin/sh
# Installs Debian's docker-compose (1.29, Python) for network/test/compose.test.ts, which validates
# docker-compose.yaml with `docker-compose config` — no Docker engine is needed or started for that. Only the
# package itself: its recommended Docker engine is not installed.
set -eu
if command -v docker-compose >/dev/null 2>&1; then exit 0; fi
echo "[setup] installing Debian's docker-compose to validate docker-compose.yaml (apt-get; under a minute) …"
if [ "$(id -u)" != 0 ]; then
  echo "error: docker-compose is missing; install it with: sudo apt-get install -y --no-install-recommends docker-compose" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: docker-compose is missing and this machine has no apt-get; install docker-compose 1.29 or newer" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
echo "[setup] docker-compose installed: $(docker-compose version --short 2>/dev/null || docker-compose version | head -1)"
