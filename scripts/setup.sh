#!/usr/bin/env bash
# Installs everything berth needs on a Debian 12 machine (as root) and builds it.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "berth: this must run as root (containers need it)" >&2
    exit 1
  fi
}
need_root

# System parts: the OCI runtime, the container monitor, networking and the busybox base image.
# Test-only: docker-registry (a local registry for pull/push tests), openssl (their TLS
# certificates), apache2-utils (htpasswd for their basic auth).
pkgs=(runc conmon iptables iproute2 busybox-static tar procps util-linux kmod ca-certificates curl docker-registry openssl apache2-utils)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "berth setup: apt-get install ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node dependencies and the build (skipped when nothing changed since the last build).
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "berth: Node.js 20 or newer is required" >&2
  exit 1
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # Not `npm ci`: node-unix-socket names prebuilt packages for other platforms that were never
  # published, so npm 11's ci refuses the lock file; install follows the lock all the same.
  npm install --no-audit --no-fund --loglevel=error
fi
stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ -n "$(find src test bench tsconfig.json package.json -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  npx tsc -p tsconfig.json
  touch "$stamp"
fi
