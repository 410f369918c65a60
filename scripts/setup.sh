#!/usr/bin/env bash
# Installs what amber and its test suite need on a fresh Debian machine (as root), once:
# gcc/make for the zdtm programs and the native addon fallback, Debian's criu for its `crit`
# (the independent image reader the tests use), runc and busybox (test/rpc/runc.test.ts), the
# npm packages, and the build.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v gcc >/dev/null || need+=(gcc)
command -v make >/dev/null || need+=(make)
command -v crit >/dev/null || need+=(criu)
command -v nft >/dev/null || need+=(nftables)
# runc and a static busybox: the container engine test drives amber the way runc drives CRIU.
command -v runc >/dev/null || need+=(runc)
command -v busybox >/dev/null || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
npm run -s build >&2
