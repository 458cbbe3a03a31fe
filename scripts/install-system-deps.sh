#!/usr/bin/env bash
# Installs the Debian packages the hub needs (PostgreSQL + PostGIS, Redis for the tests of several workers,
# and Chromium for the browser tests) when they are missing. Run by `make run` / `make test`; idempotent and quiet when all is there.
# Usage: scripts/install-system-deps.sh [--browser]
set -euo pipefail

want=()
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  want+=(postgresql postgresql-contrib)
fi
# PostGIS ships its control file beside the server's extensions; the package is per server version
# (the plain `postgis` package only recommends it).
if ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then
  major=$(basename "$(dirname "${pg_bin:-/usr/lib/postgresql/15/bin}")")
  [ -n "$pg_bin" ] || major=15
  want+=("postgresql-${major}-postgis-3")
fi
# GDAL's command-line tools: the OGC API test reads the hub with ogrinfo, the import bench runs ogr2ogr.
command -v ogrinfo >/dev/null 2>&1 || want+=(gdal-bin)
# Redis: the tests and the load run start a throwaway redis-server of their own (bench/load/local_servers.py).
command -v redis-server >/dev/null 2>&1 || want+=(redis-server)
if [ "${1:-}" = "--browser" ]; then
  command -v chromium >/dev/null 2>&1 || want+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || want+=(chromium-driver)
fi
[ ${#want[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "The hub needs these Debian packages: ${want[*]}" >&2
  echo "Install them with:  sudo apt-get update && sudo apt-get install -y ${want[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${want[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
# Debian's postgresql package creates and starts a system cluster; the hub runs its own and does not need it.
if command -v pg_lsclusters >/dev/null 2>&1 && command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now postgresql >/dev/null 2>&1 || true
fi
# Likewise redis-server's system service: the tests start their own on a free loopback port.
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
echo "Debian packages installed."
