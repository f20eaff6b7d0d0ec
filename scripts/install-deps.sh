#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, only those missing, so that
# `make run` and `make test` work on a fresh Debian 12 machine.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config ca-certificates clang-format
  libboost-dev libcurl4-openssl-dev nlohmann-json3-dev libsqlite3-dev libpq-dev
  libspdlog-dev libfmt-dev libcli11-dev libphonenumber-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libhowardhinnant-date-dev tzdata  # customers' time zones (quiet hours, order cut-off)
  postgresql  # the server the tests start throwaway clusters of (the PostgreSQL store's suites)
  prometheus  # for promtool: the alert rules' tests (deploy/prometheus)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing missing packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# Packages with a daemon (prometheus, postgresql) start it from their postinst. Only promtool and the
# PostgreSQL binaries are wanted here (the tests start throwaway clusters of their own), and in a
# container without an init system starting it fails or leaves a stray server: a policy-rc.d that
# denies every start (exit 101), as Docker images ship, unless one is there already.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ] && [ "$(cat /proc/1/comm 2>/dev/null)" != "systemd" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  trap '$SUDO rm -f "$policy"' EXIT
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
