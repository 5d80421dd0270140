#!/usr/bin/env bash
# Installs the npm packages the tests use as independent peers and oracles,
# one directory per purpose, each pinned by its own package-lock.json:
#   tests/oracle/   reed-solomon-erasure (wasm) and @solana/web3.js v1
#   tests/*/        any other test directory with a package-lock.json
#                   (gRPC / NATS clients and test servers)
# Without node/npm, or offline, the tests that need them report a skip.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "install-oracles: node/npm not found: tests that need npm packages will be skipped"
  exit 0
fi
for lock in "$here"/tests/*/package-lock.json; do
  dir=$(dirname "$lock")
  name=${dir#"$here"/}
  # Installed and not older than its lock file: nothing to do.
  if [ -d "$dir/node_modules" ] && [ "$dir/node_modules" -nt "$lock" ]; then
    echo "install-oracles: $name already installed"
    continue
  fi
  # npm ci, else npm install with the same lock (npm ci refuses a lock that
  # lacks optional packages of other platforms, e.g. the darwin builds of
  # @triton-one/yellowstone-grpc's native binding, which this registry
  # does not list); the versions installed are the lock's either way.
  if (cd "$dir" && { timeout 600 npm ci --no-audit --no-fund --loglevel=error 2>/dev/null ||
                     timeout 600 npm install --no-audit --no-fund --no-save --loglevel=error; }); then
    touch "$dir/node_modules"
    echo "install-oracles: $name installed"
  else
    echo "install-oracles: npm ci failed in $name: its tests will be skipped"
  fi
done
exit 0
