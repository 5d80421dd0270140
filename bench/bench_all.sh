#!/usr/bin/env bash
# bench_all.sh: runs the micro-benchmark programs behind the README's
# figures, each several times, and records when, where and under what load.
#
#   bench/bench_all.sh [BUILD_DIR] [PROGRAM ...]
#
# PROGRAM names one of the programs below (default: all of them). For
# every run it prints a header with the UTC time, the machine (CPU model
# name, vCPUs, the ISA flags the kernels choose by: avx512f, avx512ifma,
# gfni, sha_ni, bmi2/adx) and `uptime`'s load average, then the program's
# output, then the load average again. The programs that do their work on
# the calling thread run with SOF_BENCH_CLOCK=cpu (sof_bench.h: the
# thread's CPU time, which leaves out the time other jobs held the CPU);
# bench_exc (kernel work in softirq context) and bench_wake (its own
# per-write timing: the writer's time in write()) run on the wall clock.
# Prints figures; never fails on timing.
#
# Environment:
#   SOF_BENCH_REPEAT  runs of each program (default 3)
#   SOF_BENCH_CLOCK   overrides the clock for every program (cpu or wall)
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build
if [ $# -gt 0 ] && [ -d "$1" ]; then
  build=$(cd "$1" && pwd)
  shift
fi
repeat=${SOF_BENCH_REPEAT:-3}

# name : path under BUILD_DIR : clock
progs=(
  "bench_base58:bench/bench_base58:cpu"
  "bench_wire:bench/bench_wire:cpu"
  "bench_field:bench/bench_field:cpu"
  "bench_verify:bench/bench_verify:cpu"
  "bench_shredder:bench/bench_shredder:cpu"
  "bench_forks:bench/bench_forks:cpu"
  "bench_race:bench/bench_race:cpu"
  "bench_cands:bench/bench_cands:cpu"
  "bench_gossip:bench/bench_gossip:cpu"
  "bench_nats_format:bench/bench_nats_format:cpu"
  "bench_grpc_hook:bench/bench_grpc_hook:cpu"
  "bench_provider:bench/bench_provider:cpu"
  "bench_rs:bench/bench_rs:cpu"
  "bench_resolve:bench/bench_resolve:cpu"
  "bench_host:tests/host/bench_host:cpu"
  "bench_dedupe:tests/net/bench_dedupe:cpu"
  "bench_exc:bench/bench_exc:wall"
  "bench_wake:bench/bench_wake:wall"
)

machine() {
  local model flags f have=""
  model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
  flags=" $(sed -n 's/^flags[[:space:]]*: //p' /proc/cpuinfo | head -1) "
  for f in avx2 avx512f avx512ifma gfni sha_ni bmi2 adx; do
    case $flags in *" $f "*) have="$have $f" ;; esac
  done
  echo "$model, $(nproc) vCPU,$have; $(uname -r)"
}

load() { sed 's/.*load average: //' <<<"$(uptime)"; }

echo "# bench_all: $(machine)"
echo "# build: $build ($(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?'))"
for p in "${progs[@]}"; do
  IFS=: read -r name path clock <<<"$p"
  if [ $# -gt 0 ]; then
    hit=0
    for w in "$@"; do [ "$w" = "$name" ] && hit=1; done
    [ $hit = 1 ] || continue
  fi
  exe=$build/$path
  if [ ! -x "$exe" ]; then
    echo "# $name: $exe not built, skipped"
    continue
  fi
  clock=${SOF_BENCH_CLOCK:-$clock}
  for r in $(seq 1 "$repeat"); do
    echo "## $name run $r/$repeat  $(date -u '+%Y-%m-%d %H:%M:%S UTC')  clock $clock  load before: $(load)"
    SOF_BENCH_CLOCK=$clock "$exe" 2>&1
    echo "## $name run $r/$repeat  $(date -u '+%H:%M:%S UTC')  load after: $(load)"
  done
done
