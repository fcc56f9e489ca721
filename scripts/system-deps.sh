#!/usr/bin/env bash
# Debian packages the platform and its tests use: Mosquitto (MQTT broker for the connectivity
# tests), Chromium (browser tests of the web app), Korean fonts (screenshots). Installed only
# when missing, only as root; otherwise this says what to install and carries on.
set -euo pipefail
packages=(mosquitto chromium fonts-noto-cjk)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "note: not a Debian system; install ${missing[*]} yourself for the tests that need them" >&2
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "note: missing Debian packages: ${missing[*]}" >&2
  echo "      run 'sudo apt-get install -y ${missing[*]}' (tests that need them will say so)" >&2
  exit 0
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The broker is started by the tests on a free loopback port, not as a system service.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now mosquitto >/dev/null 2>&1 || true; fi
