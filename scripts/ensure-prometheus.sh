#!/bin/sh
# Installs Debian's prometheus (2.42, with promtool) when it is missing: `npm start` runs it as one of its own
# processes (network/src/monitoring.ts) and `npm test` runs the alert rules' promtool unit tests.
#
# The Debian package ships a systemd unit and an init.d script that would start a second Prometheus on :9090 as a
# daemon nobody tracks. The launcher runs its own, so the install must not start that one: a policy-rc.d that
# forbids every service start is put in place for the install (unless one already is), and the packaged daemon is
# stopped afterwards should it have started anyway.
set -eu
if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then exit 0; fi
echo "[setup] installing Debian's prometheus (with promtool) for monitoring and the alert rule tests (apt-get) …"
if [ "$(id -u)" != 0 ]; then
  echo "error: prometheus/promtool are missing; install them with: sudo apt-get install -y --no-install-recommends prometheus" >&2
  exit 1
fi
policy=/usr/sbin/policy-rc.d
own_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# ensure-prometheus.sh: no service starts during the install\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  own_policy=1
fi
cleanup() { if [ -n "$own_policy" ]; then rm -f "$policy"; fi; }
trap cleanup EXIT
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
# Belt and braces: no packaged daemon may stay up (it would hold :9090 and scrape nothing of ours).
if [ -x /etc/init.d/prometheus ]; then /etc/init.d/prometheus stop >/dev/null 2>&1 || true; fi
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
echo "[setup] prometheus installed: $(prometheus --version 2>&1 | head -n 1)"
