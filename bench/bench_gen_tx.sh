#!/usr/bin/env bash
# bench_gen_tx.sh: sof-gen-tx's achieved rate into net_null.
#
#   bench/bench_gen_tx.sh [BUILD_DIR] [-- SOF-GEN-TX OPTIONS]
#
# Runs sof-gen-tx (BUILD_DIR/tools/sof-gen-tx, default build/) into a
# net_null port, unpaced (--rate 0), RUNS times for SECONDS each, and prints
# every run's figures, then the median achieved pps, Gbps (frame bits, no
# FCS) and wire Gbps (+24 bytes a frame: FCS, preamble, SFD, inter-frame
# gap). Options after "--" go to sof-gen-tx (--copy, --burst 64, --slots 16,
# --rate 1M ...). Prints figures; never fails on timing.
#
# Environment:
#   SOF_BENCH_RUNS     runs (default 3)
#   SOF_BENCH_SECONDS  seconds per run (default 5)
#   SOF_BENCH_LCORE    the lcore that sends (default 0)
#   SOF_BENCH_EAL      EAL options replacing the default
#                      "--no-huge -m 512 --no-pci --no-shconf" (e.g. with
#                      hugepages: "-m 512 --no-pci --no-shconf")
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  build=$1
  shift
fi
[ $# -gt 0 ] && [ "$1" = "--" ] && shift
tx=$build/tools/sof-gen-tx
if [ ! -x "$tx" ]; then
  echo "bench_gen_tx: $tx not found (it is built only when meson finds DPDK)" >&2
  exit 2
fi
runs=${SOF_BENCH_RUNS:-3}
secs=${SOF_BENCH_SECONDS:-5}
lcore=${SOF_BENCH_LCORE:-0}
read -r -a eal <<<"${SOF_BENCH_EAL:---no-huge -m 512 --no-pci --no-shconf}"

out=$(mktemp)
# EAL leaves an empty runtime directory per file prefix: remove ours.
if [ "$(id -u)" = 0 ]; then runtime=/var/run/dpdk; else runtime=${XDG_RUNTIME_DIR:-/tmp}/dpdk; fi
trap 'rm -f "$out" "$out.err"; rm -rf "$runtime"/sofbench$$_*' EXIT
for i in $(seq 1 "$runs"); do
  if ! "$tx" "${eal[@]}" --file-prefix="sofbench$$_$i" -l "$lcore" --vdev net_null0 -- \
      --duration "$secs" --stats-interval 0 "$@" 2>"$out.err" | grep '"tx_summary"' >>"$out"; then
    echo "bench_gen_tx: run $i failed:" >&2
    tail -5 "$out.err" >&2
    rm -f "$out.err"
    exit 1
  fi
done
rm -f "$out.err"

python3 - "$out" "$runs" "$secs" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for i, s in enumerate(runs, 1):
    print(f"run {i}: {s['pps'] / 1e6:8.3f} Mpps {s['gbps']:9.3f} Gbps {s['wireGbps']:9.3f} wire Gbps"
          f"  (sent {s['sent']}, dropped {s['dropped']}, {s['seconds']:.3f} s)")
s = runs[0]
med = lambda k: statistics.median(r[k] for r in runs)
print(f"sof-gen-tx into net_null, {s['mode']}, burst {s['burst']}, rate {s['rate'] or 'max'}, "
      f"{s['framesPerPass']}-frame set ({s['bytesPerPass'] / s['framesPerPass']:.0f} B/frame): "
      f"median of {len(runs)} x {sys.argv[3]} s: {med('pps'):.0f} pps ({med('pps') / 1e6:.2f} Mpps), "
      f"{med('gbps'):.2f} Gbps, {med('wireGbps'):.2f} wire Gbps")
PY
