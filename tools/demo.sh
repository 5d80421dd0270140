#!/usr/bin/env bash
# The main job on a fresh machine: install the dependencies, build, generate
# a deterministic capture of 4 slots with sof-gen (signed transactions,
# chained merkle shreds, 3 rotating leaders, 8 shreds lost in every FEC set,
# some duplicates and reordering), then decode it with sof-dump: shreds,
# verification against the leader schedule, FEC recovery and entry-batch
# reassembly down to transactions, checked against sof-gen's ground truth.
# Everything lands in build/demo/.
#
#   tools/demo.sh [extra sof-gen options]     e.g. --slots 8 --seed 7
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash tools/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
out=build/demo
mkdir -p "$out"
build/tools/sof-gen --slots 4 --seed 1 --leaders 3 --leader-rotation 1 --loss-per-set 8 --dup 0.05 \
  --reorder 16 -o "$out/demo.pcap" --truth "$out/truth.jsonl" --leader-key "$out/leader.key" \
  --leader-schedule "$out/leader-schedule.json" --summary "$out/gen-summary.json" "$@"
echo "== sof-gen wrote $out/demo.pcap ($(stat -c %s "$out/demo.pcap") bytes); ground truth: $out/truth.jsonl"

build/tools/sof-dump "$out/demo.pcap" > "$out/shreds.jsonl" || true
echo "== shreds (sof-dump, all in $out/shreds.jsonl):"
head -n 2 "$out/shreds.jsonl" | cut -c1-240
tail -n 1 "$out/shreds.jsonl"

rc=0
build/tools/sof-dump --verify --reassemble --leader-schedule "$out/leader-schedule.json" \
  "$out/demo.pcap" > "$out/reassembled.jsonl" || rc=$?
echo "== verified, recovered and reassembled (all in $out/reassembled.jsonl):"
grep -m 3 '"type":"dataset"' "$out/reassembled.jsonl" | cut -c1-240
grep -m 3 '"type":"transaction"' "$out/reassembled.jsonl" | cut -c1-200
tail -n 1 "$out/reassembled.jsonl" | cut -c1-600
got=$(grep -c '"type":"transaction"' "$out/reassembled.jsonl" || true)
want=$(grep -c '"type":"transaction"' "$out/truth.jsonl" || true)
echo "== sof-dump: $got transactions reassembled, $want in the ground truth"
[ "$got" = "$want" ] || rc=1

# The daemon: sofd replays the capture through DPDK's net_pcap PMD (no NIC,
# no hugepages) with config/replay.ini: ingest roles (rx, fec) on lcore 0,
# extract, dispatch and the plugin lanes on lcore 1 (one lcore when the
# machine has one core); plugins txlog (transactions) and slotlog (slot
# status, reorgs, blockhash, leaders).
if [ -x build/app/sofd ]; then
  lcores=0,1
  [ "$(nproc)" -ge 2 ] || lcores=0
  topo=()
  [ "$lcores" = 0 ] && topo=(--topology-extract 0 --topology-dispatch 0 --topology-plugins 0)
  build/app/sofd --no-huge -m 512 --no-pci --no-shconf --file-prefix="sof-demo-$$" -l "$lcores" \
    --vdev "net_pcap0,rx_pcap=$out/demo.pcap" --log-level=lib.eal:error -- \
    --config config/replay.ini --leader-schedule "$out/leader-schedule.json" --udp-port 8001 \
    --idle-exit-ms 300 --plugins txlog,slotlog --txlog "$out/txlog.jsonl" \
    --plugin-opt "slotlog.path=$out/slotlog.jsonl" "${topo[@]}" 2> "$out/sofd-summary.json" || rc=1
  rm -rf "/var/run/dpdk/sof-demo-$$" 2>/dev/null || true   # EAL's empty runtime dir
  echo "== sofd transaction log ($out/txlog.jsonl):"
  head -n 2 "$out/txlog.jsonl" | cut -c1-200
  echo "== sofd slot log ($out/slotlog.jsonl):"
  grep -m 4 -E '"(slot_status|recent_blockhash)"' "$out/slotlog.jsonl" | cut -c1-200
  echo "== sofd summary ($out/sofd-summary.json):"
  tail -n 1 "$out/sofd-summary.json" | cut -c1-400
  got=$(wc -l < "$out/txlog.jsonl")
  echo "== sofd: $got transactions, $want in the ground truth"
  [ "$got" = "$want" ] || rc=1
else
  echo "== sofd not built (DPDK not found): skipped"
fi
exit $rc
