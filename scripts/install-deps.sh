#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, only those missing, so that
# `make run` and `make test` work on a fresh Debian 12 machine.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config ca-certificates clang-format
  libboost-dev libcurl4-openssl-dev nlohmann-json3-dev libsqlite3-dev libpq-dev
  libspdlog-dev libfmt-dev libcli11-dev libphonenumber-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing missing packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
