#!/usr/bin/env bash
# Installs the Debian packages only `make bench` needs (the load generator, the JSON tool and the sqlite3 shell
# the bench script uses), only those missing. scripts/install-deps.sh covers build and tests.
set -euo pipefail
packages=(wrk jq curl sqlite3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing missing packages for the benchmark: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
