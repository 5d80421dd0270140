#!/usr/bin/env bash
# Installs the npm packages the oracle tests compare against (pinned in
# tests/oracle/package-lock.json): the reed-solomon-erasure crate built to
# wasm, and @solana/web3.js v1. Without node/npm, or offline, the oracle
# tests report themselves skipped.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here/tests/oracle"
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "install-oracles: node/npm not found: oracle tests will be skipped"
  exit 0
fi
if [ -d node_modules/@solana/web3.js ] && [ -d node_modules/@digitaldefiance/reed-solomon-erasure.wasm ]; then
  echo "install-oracles: already installed"
  exit 0
fi
if ! timeout 600 npm ci --no-audit --no-fund --loglevel=error; then
  echo "install-oracles: npm ci failed: oracle tests will be skipped"
fi
exit 0
