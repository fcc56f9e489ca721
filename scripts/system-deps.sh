#!/usr/bin/env bash
# Debian packages the platform and its tests use: Mosquitto (the MQTT broker the connectivity
# tests start), Chromium and Korean fonts (browser tests and screenshots of the web app), Pango
# (WeasyPrint, the programme side's PDF reports).
# Installed only when missing, only as root; otherwise this says what to install and carries on.
set -uo pipefail
required=(mosquitto)
optional=(chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
missing() {
  local out=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || out+=("$p")
  done
  echo "${out[@]:-}"
}
need_req=$(missing "${required[@]}")
need_opt=$(missing "${optional[@]}")
[ -z "$need_req$need_opt" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "note: not a Debian system; install $need_req $need_opt yourself for the tests that need them" >&2
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "note: missing Debian packages: $need_req $need_opt" >&2
  echo "      run 'sudo apt-get install -y $need_req $need_opt' (tests that need them say so)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || echo "warning: apt-get update failed; trying with the cached lists" >&2
if [ -n "$need_req" ]; then
  echo "installing Debian packages: $need_req"
  apt-get install -y -qq --no-install-recommends $need_req >/dev/null || {
    echo "error: could not install $need_req, which the tests need" >&2; exit 1; }
fi
if [ -n "$need_opt" ]; then
  echo "installing Debian packages: $need_opt"
  apt-get install -y -qq --no-install-recommends $need_opt >/dev/null \
    || echo "warning: could not install $need_opt (browser tests and screenshots need them)" >&2
fi
# The tests start their own broker on a free loopback port, not the system service.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now mosquitto >/dev/null 2>&1 || true; fi
exit 0
