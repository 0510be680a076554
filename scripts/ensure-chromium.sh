#!/bin/sh
# Installs Debian's chromium for the browser tests when it is missing (Playwright's own browser download
# does not work on our machines; playwright-core drives this one).
set -eu
if [ -x /usr/bin/chromium ]; then exit 0; fi
echo "[setup] installing Debian's chromium for the browser tests (apt-get; about a minute) …"
if [ "$(id -u)" != 0 ]; then
  echo "error: /usr/bin/chromium is missing; install it with: sudo apt-get install -y chromium" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
echo "[setup] chromium installed: $(/usr/bin/chromium --version)"
