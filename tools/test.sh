#!/usr/bin/env bash
# Runs every test sof-dpdk has and prints one closing line
# "N passed, N failed, N skipped".
#
#   tools/test.sh            all stages below
#   SOF_TEST_FUZZ=0 ...      skip the fuzz smoke stage
#
# Stages (each its own build directory):
#   build/       release build: unit + vector conformance (+ DPDK) tests
#   build-san/   ASan + UBSan build: the same tests
#   build-fuzz/  clang + libFuzzer: every fuzz target runs briefly
# Vector tests read $SOF_VECTORS (default ../shared/vectors) and skip when
# it is absent.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
jobs=${SOF_JOBS:-$(nproc)}
passed=0 failed=0 skipped=0

count() { # build dir -> adds its testlog.json results to the totals
  local log=$1/meson-logs/testlog.json
  if [ ! -f "$log" ]; then failed=$((failed + 1)); return; fi
  read -r p f s < <(python3 - "$log" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"): p += 1
    elif r == "SKIP": s += 1
    else: f += 1
print(p, f, s)
PY
)
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

stage() { # name builddir setup-args... ; builds and tests, counts a build failure as one failure
  local name=$1 bdir=$2
  shift 2
  echo "=== $name ($bdir)"
  if [ ! -f "$bdir/build.ninja" ]; then
    if ! "$@" >"$bdir.setup.log" 2>&1; then
      cat "$bdir.setup.log"; echo "$name: meson setup FAILED"; failed=$((failed + 1)); return
    fi
  fi
  if ! ninja -C "$bdir" -j "$jobs" >"$bdir.build.log" 2>&1; then
    tail -50 "$bdir.build.log"; echo "$name: build FAILED"; failed=$((failed + 1)); return
  fi
  rm -f "$bdir/meson-logs/testlog.json"
  meson test -C "$bdir" --no-rebuild --print-errorlogs --num-processes "$jobs" $SUITES
  count "$bdir"
}

# The npm oracles (reed-solomon-erasure wasm, @solana/web3.js): installed
# when missing; without node or the registry their tests report a skip.
bash "$here/tools/install-oracles.sh" || true

SUITES="" stage release build meson setup build
# Undefined behaviour fails the test that hit it (UBSan only reports by default).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
SUITES="" stage sanitizers build-san meson setup build-san -Db_sanitize=address,undefined \
  -Db_lundef=false -Dbuildtype=debugoptimized
if [ "${SOF_TEST_FUZZ:-1}" != 0 ]; then
  SUITES="--suite fuzz" stage fuzz-smoke build-fuzz env CC=clang meson setup build-fuzz -Dfuzz=true \
    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
