#!/usr/bin/env bash
# bench_sofd: sofd's processing cost per packet, whole pipeline on one
# lcore (parse, late drop, verify, resolve, reassemble, transaction log),
# replaying a sof-gen capture through net_pcap.
#
#   bench/bench_sofd.sh [BUILD_DIR] [SLOTS]
#
# Prints, for verification on (public_untrusted) and off (trusted posture),
# with and without loss, the median of 3 runs of sofd's own busy-time
# figures: ns per packet and packets per busy second (the time from a
# burst's arrival until its last mbuf is freed; net_pcap's file reading and
# idle polling are excluded).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
slots=${2:-32}
gen=$build/tools/sof-gen
sofd=$build/app/sofd
[ -x "$sofd" ] || { echo "bench_sofd: $sofd not built (DPDK missing?)"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() { # name pcap args...
  local name=$1 pcap=$2
  shift 2
  local out=()
  for i in 1 2 3; do
    "$sofd" --no-huge -m 512 --no-pci --no-shconf --file-prefix="sof-bench-$$-$i" -l 0 \
      --vdev "net_pcap0,rx_pcap=$pcap" --log-level=lib.eal:error -- \
      --idle-exit-ms 300 --txlog /dev/null "$@" 2> "$tmp/s.json" >/dev/null
    out+=("$(tail -n 1 "$tmp/s.json")")
    rm -rf "/var/run/dpdk/sof-bench-$$-$i" 2>/dev/null || true
  done
  printf '%s\n' "${out[@]}" | python3 -c '
import json, statistics, sys
name = sys.argv[1]
runs = [json.loads(l) for l in sys.stdin]
ns = statistics.median(r["nsPerPacket"] for r in runs)
pps = statistics.median(r["packetsPerBusySecond"] for r in runs)
r = runs[0]
print("%-44s %8.0f ns/packet %8.3f M packets/busy-s   (%d packets, %d txns, late %d, balanced %s)"
      % (name, ns, pps / 1e6, r["rxPackets"], r["transactions"], r["drops"]["late"], r["balanced"]))
' "$name"
}

"$gen" -n "$slots" -s 5 --txns-per-slot 400 -o "$tmp/clean.pcap" --leader-schedule "$tmp/sched.json" 2>/dev/null
"$gen" -n "$slots" -s 5 --txns-per-slot 400 --loss-per-set 32 -o "$tmp/loss.pcap" 2>/dev/null
echo "bench_sofd: $slots slots x 400 transactions, net_pcap replay, median of 3"
run "verify on, no loss" "$tmp/clean.pcap" --leader-schedule "$tmp/sched.json"
run "verify off (trusted), no loss" "$tmp/clean.pcap" --posture trusted_raw_shred_provider
run "verify on, 32 of 64 lost per set" "$tmp/loss.pcap" --leader-schedule "$tmp/sched.json"
run "verify off (trusted), 32 of 64 lost per set" "$tmp/loss.pcap" --posture trusted_raw_shred_provider
