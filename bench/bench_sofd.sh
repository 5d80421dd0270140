#!/usr/bin/env bash
# bench_sofd: sofd's whole pipeline (rx, fec, extract, dispatch roles and the
# txlog plugin lane) on this machine.
#
#   bench/bench_sofd.sh [BUILD_DIR] [SLOTS]
#
# sofd runs with --mlock (all memory faulted in before RX: with --no-huge,
# first-touch page faults would otherwise dominate a short replay).
# 1. Throughput: a sof-gen capture (SLOTS slots x 400 transactions, default
#    256: 131072 shreds) preloaded into mbufs and served by a net_ring port
#    (--driver preload: an RX burst is a ring dequeue, so the figures are the
#    pipeline's, not a PMD's file reads), verification on (public_untrusted)
#    and off (trusted), no loss and 32 of 64 shreds lost per set, on
#      1          every role on lcore 0;
#      2x1        2 lcores, 1 RX queue: rx + fec on 0 | extract + dispatch +
#                 plugins on 1;
#      2x2slot    2 lcores, 2 RX queues: rx + fec on 0 and on 1, extract +
#                 dispatch + plugins on 1; frames dealt to the queues by slot
#                 (rx i feeds fec i);
#      2x2packet  the same, frames dealt round robin: a set arrives
#                 interleaved from two queues, coding shreds ahead of data
#                 shreds, and is rebuilt as soon as any 32 of its shreds are
#                 in (as off turbine);
#    then the txlog plugin (JSON to /dev/null) on 2x2slot, and net_pcap on 1
#    lcore for the PMD's own cost. Median of 3 runs of:
#      ns/shred per role   the role's busy time over the packets received
#      capacity            1e9 / the busiest lcore's ns per packet: the
#                          shreds/s the pipeline sustains with that lcore at
#                          100%
#      rate                packets / the input's span (first to last burst):
#                          what the run sustained end to end (the preloaded
#                          port never runs dry: this is the throughput)
#      drops               ring drops and plugin lane drops (goal: 0)
#      held back           back-pressure (docs/architecture.md, "Flow control"):
#                          polls fec and rx held their input; shown when
#                          sofd reports them
#      no_room             shreds the fec role could not hold (more sets open
#                          than [fec] set_buffers); shown when not 0
# 2. Latency at a paced 100k shreds/s: sof-gen-tx sends unique slots out of a
#    veth pair (net_af_packet on both ends; needs root and iproute2; skipped
#    otherwise; one frame per tx burst), sofd (one lcore, RX bursts of 4) with
#    the latency plugin alone (transactions through the dataset path), then
#    latency_inline (transactions rated critical with inline delivery),
#    reports RX burst -> callback percentiles per hook.
# Environment: SOF_BENCH_PARTS (throughput,latency: the default runs both),
# SOF_BENCH_LAYOUTS (throughput layouts, default "1 2x1 2x2slot 2x2packet"),
# SOF_BENCH_RATE (latency part, shreds/s, default 100000),
# SOF_BENCH_LAT_PLUGINS (default "latency latency_inline"), SOF_BENCH_LAT_ARGS
# (extra sofd options for the latency runs, e.g. "--verify-warm-lines 0"),
# SOF_BENCH_SOFD_ARGS (extra sofd options for the throughput runs, e.g.
# "--fec-arena-mb 1" for a dataset pool that runs short),
# SOF_BENCH_LAT_RUNS (runs per plugin, default 1; more: a median line per
# hook after them), SOF_BENCH_PACE (sof-gen-tx --pace: spin, the default
# here as the README's earlier rows were taken, or sleep: the generator
# leaves the second core to the kernel's veth delivery and sofd's other
# threads), SOF_BENCH_NICE (nice level of sofd and the generator, default 0).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
slots=${2:-256}
gen=$build/tools/sof-gen
gentx=$build/tools/sof-gen-tx
sofd=$build/app/sofd
[ -x "$sofd" ] || { echo "bench_sofd: $sofd not built (DPDK missing?)"; exit 0; }
tmp=$(mktemp -d)
cleanup() {
  rm -rf "$tmp"
  ip link del sofbench0 2>/dev/null || true
}
trap cleanup EXIT

# transactions in a capture's ground truth (empty when it has none)
want_of() { [ -f "$1.truth" ] && grep -c '"type":"transaction"' "$1.truth" || true; }

runs=0
run() { # name layout pcap args...   layout: 1 | 2x1 | 2x2slot | 2x2packet | pcap
  local name=$1 layout=$2 pcap=$3
  shift 3
  runs=$((runs + 1))
  local log="$tmp/runs.$runs"
  local lcores=0,1 input=(--driver preload --preload "$pcap") vdev=() topo=()
  case $layout in
    1) lcores=0 ;;
    pcap) lcores=0 input=() vdev=(--vdev "net_pcap0,rx_pcap=$pcap") ;;
    2x1) topo=(--topology-rx 0 --topology-fec 0 --topology-extract 1 --topology-dispatch 1
               --topology-plugins 1) ;;
    2x2slot|2x2packet)
      topo=(--topology-rx 0,1 --topology-fec 0,1 --topology-extract 1 --topology-dispatch 1
            --topology-plugins 1 --preload-deal "${layout#2x2}") ;;
  esac
  for i in 1 2 3; do
    "$sofd" --no-huge -m 1536 --no-pci --no-shconf --no-telemetry --file-prefix="sof-bench-$$-$i" \
      -l "$lcores" "${vdev[@]}" --log-level=lib.eal:error -- "${input[@]}" \
      --idle-exit-ms 300 --mlock --ring-rx-fec-size 16384 \
      "${topo[@]}" "$@" ${SOF_BENCH_SOFD_ARGS:-} 2>&1 >/dev/null | grep '^{"type":"summary"' >> "$log" || true
    rm -rf "/var/run/dpdk/sof-bench-$$-$i" 2>/dev/null || true
  done
  python3 - "$name" "$log" "$(want_of "$pcap")" <<'PYEOF'
import json, statistics, sys
name, path = sys.argv[1], sys.argv[2]
runs = [json.loads(l) for l in open(path)]
if not runs:
    print("%-40s no summary (sofd failed)" % name)
    sys.exit(0)
def med(f):
    return statistics.median(f(r) for r in runs)
def worst(f):  # losses: the worst run's (a median would hide one run's loss)
    return max(f(r) for r in runs)
r0 = runs[0]
n = r0["rxPackets"]
roles = {}
for r in runs:
    for ro in r["roles"]:
        roles.setdefault((ro["role"], ro["instance"], ro["lcore"]), []).append(
            ro["busyUs"] * 1000.0 / max(1, r["rxPackets"]))
per = {k: statistics.median(v) for k, v in roles.items()}
lcores = {}
for (role, inst, lc), ns in per.items():
    lcores[lc] = lcores.get(lc, 0) + ns
busiest = max(lcores.values())
drops = worst(lambda r: sum(v["dropped"] for v in r["rings"].values())
            + sum(l["dropped"] for l in r["plugins"]["lanes"].values()))
rate = med(lambda r: r["rxPackets"] / (r["rxSpanUs"] / 1e6) if r["rxSpanUs"] else 0)
no_room = worst(lambda r: r["acceptedBy"]["no_room"])
# sets given up before they completed (evicted for room: their other
# shreds came too late) and data shreds evicted from reassembly
evicted = worst(lambda r: r.get("setsEvictedOpen", 0))
incomplete = worst(lambda r: r.get("setsIncomplete", 0))
shreds_ev = worst(lambda r: r.get("shredsEvicted", 0))
# datasets the fec role could not hand on (the dataset arena was full: the
# extract role behind) and input left unread when sofd stopped
arena = worst(lambda r: r.get("datasetsArenaFull", 0))
unread = worst(lambda r: r.get("lostBefore", {}).get("unreadAtExit", 0))
want = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] else 0
# every run's transactions: one number when the runs agree, min-max when not
tx = sorted(r["transactions"] for r in runs)
txns = str(tx[0]) if tx[0] == tx[-1] else "%d-%d" % (tx[0], tx[-1])
lost = ""
if evicted or incomplete or shreds_ev or arena or unread:
    lost = "  LOSS: %d open sets evicted, %d left incomplete, %d data shreds evicted, %d datasets (arena full), %d frames unread" % (
        evicted, incomplete, shreds_ev, arena, unread)
print("%-40s %7d shreds %6s txns%s  capacity %5.2f M/s  rate %5.2f M/s  drops %d  balanced %s%s%s" %
      (name, n, txns, " of %d" % want if want else "", 1e3 / busiest, rate / 1e6, drops,
       all(r["balanced"] for r in runs),
       "  no_room %d (open sets exceeded [fec] set_buffers: their shreds are lost)" % no_room if no_room else "",
       lost))
bp = [r.get("backpressure") for r in runs]
if all(bp):
    print("    held back: fec %d polls (pool) + %d (fec_extract full), %.1f ms; rx %d polls; reserve used %d, holds given up %d" % (
        med(lambda r: r["backpressure"]["fecHeldPollsPool"]), med(lambda r: r["backpressure"]["fecHeldPollsOut"]),
        med(lambda r: r["backpressure"]["fecHeldUs"]) / 1e3, med(lambda r: r["backpressure"]["rxHeldPolls"]),
        med(lambda r: r["backpressure"]["fecReserveUsed"]), med(lambda r: r["backpressure"]["fecHoldGivenUp"])))
print("    ns/shred: " + "  ".join(
    "%s%s@%d %.0f" % (role, inst if role in ("rx", "fec") else "", lc, ns)
    for (role, inst, lc), ns in sorted(per.items(), key=lambda x: (x[0][2], x[0][0], x[0][1]))))
PYEOF
}

parts=${SOF_BENCH_PARTS:-throughput,latency}
if [[ ,$parts, == *,throughput,* ]]; then
"$gen" -n "$slots" -s 5 --txns-per-slot 400 -o "$tmp/clean.pcap" --leader-schedule "$tmp/sched.json" \
  --truth "$tmp/clean.pcap.truth" 2>/dev/null
"$gen" -n "$slots" -s 5 --txns-per-slot 400 --loss-per-set 32 -o "$tmp/loss.pcap" --truth "$tmp/loss.pcap.truth" 2>/dev/null
echo "bench_sofd: $slots slots x 400 transactions, preloaded net_ring port, median of 3 runs"
verify=(--leader-schedule "$tmp/sched.json")
trusted=(--posture trusted_raw_shred_provider)
for layout in ${SOF_BENCH_LAYOUTS:-1 2x1 2x2slot 2x2packet}; do
  run "$layout: verify on, no loss" $layout "$tmp/clean.pcap" --plugins none "${verify[@]}"
  run "$layout: trusted, no loss" $layout "$tmp/clean.pcap" --plugins none "${trusted[@]}"
  run "$layout: verify on, 32/64 lost" $layout "$tmp/loss.pcap" --plugins none "${verify[@]}"
  run "$layout: trusted, 32/64 lost" $layout "$tmp/loss.pcap" --plugins none "${trusted[@]}"
done
run "2x2slot txlog: verify on, no loss" 2x2slot "$tmp/clean.pcap" --plugins txlog --txlog /dev/null "${verify[@]}"
run "2x2slot txlog: trusted, no loss" 2x2slot "$tmp/clean.pcap" --plugins txlog --txlog /dev/null "${trusted[@]}"
run "net_pcap 1: verify on, no loss" pcap "$tmp/clean.pcap" --plugins none "${verify[@]}"
run "net_pcap 1: trusted, no loss" pcap "$tmp/clean.pcap" --plugins none "${trusted[@]}"
fi
[[ ,$parts, == *,latency,* ]] || exit 0

# ---- latency at a paced rate over a veth pair ---------------------------------------------
rate=${SOF_BENCH_RATE:-100000}
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null || [ ! -x "$gentx" ]; then
  echo "bench_sofd latency: skipped (needs root, iproute2 and sof-gen-tx)"
  exit 0
fi
if ! ip link add sofbench0 type veth peer name sofbench1 2>/dev/null; then
  echo "bench_sofd latency: skipped (cannot create a veth pair)"
  exit 0
fi
ip link set sofbench0 up && ip link set sofbench1 up
lslots=$(( rate * 3 / 500 + 8 ))   # ~500 frames per slot of 400 txns: 3 s of unique slots
"$gen" -n "$lslots" -s 9 --txns-per-slot 1 -o /dev/null --leader-schedule "$tmp/lsched.json" 2>/dev/null  # same leaders, fast
pace=${SOF_BENCH_PACE:-spin}
nicev=${SOF_BENCH_NICE:-0}
for lp in ${SOF_BENCH_LAT_PLUGINS:-latency latency_inline}; do
: > "$tmp/lat-runs.jsonl"
for run in $(seq "${SOF_BENCH_LAT_RUNS:-1}"); do
rm -f "$tmp/latency.json"
nice -n "$nicev" "$sofd" --no-huge -m 1024 --no-pci --no-shconf --no-telemetry --file-prefix="sof-bench-lat-$$" -l 0 \
  --vdev net_af_packet0,iface=sofbench1,blocksz=4096,framesz=2048,framecnt=16384 --log-level=lib.eal:error -- \
  --leader-schedule "$tmp/lsched.json" --plugins $lp --mlock --burst 4 \
  --plugin-opt "$lp.path=$tmp/latency.json" --mbufs 65535 ${SOF_BENCH_LAT_ARGS:-} \
  2> "$tmp/lat-sofd.err" &
spid=$!
sleep 3
# net_af_packet derives its PACKET_FANOUT group from (pid ^ ifindex): the
# generator's can equal sofd's (consecutive pids, the two ends of one veth
# pair), and the kernel then refuses the second socket. Another pid fixes it.
for attempt in 1 2 3; do
  nice -n "$nicev" "$gentx" --no-huge -m 1024 --no-pci --no-shconf --no-telemetry --file-prefix="sof-bench-tx-$$" -l 1 \
    --vdev net_af_packet1,iface=sofbench0 --log-level=lib.eal:error -- \
    -n "$lslots" -s 9 --txns-per-slot 400 --rate "$rate" --burst 1 --duration 3 --stats-interval 0 --pace "$pace" \
    > "$tmp/tx.json" 2> "$tmp/tx.err" || true
  grep -q PACKET_FANOUT "$tmp/tx.err" || break
  /bin/true; /bin/true   # move on to other pids
done
sleep 1
kill -INT $spid 2>/dev/null || true
wait $spid || true
rm -rf "/var/run/dpdk/sof-bench-lat-$$" "/var/run/dpdk/sof-bench-tx-$$" 2>/dev/null || true
python3 - "$tmp/latency.json" "$tmp/lat-sofd.err" "$tmp/tx.json" "$rate" "$lp" "$tmp/lat-runs.jsonl" "$pace" "$nicev" <<'EOF'
import json, sys
lat_path, err_path, tx_path, rate, plugin, runs_path, pace, nicev = sys.argv[1:9]
try:
    lat = json.loads(open(lat_path).read().splitlines()[-1])
except (OSError, IndexError, ValueError):
    print("bench_sofd latency: no latency output"); sys.exit(0)
summ = next((json.loads(l) for l in open(err_path) if l.startswith('{"type":"summary"')), {})
tx = [json.loads(l) for l in open(tx_path) if l.startswith("{")]
sent = tx[-1].get("sent", tx[-1].get("frames", "?")) if tx else "?"
if sent == "?":
    print("bench_sofd latency: sof-gen-tx reported nothing; its stderr:")
    print("".join(open(tx_path[:-len("tx.json")] + "tx.err").readlines()[-5:]), end="")
print("bench_sofd latency (%s): %s shreds/s offered over veth (net_af_packet, generator pace %s, nice %s), %s sent, %s received, dropped %s (late), balanced %s; load average %s"
      % (plugin, rate, pace, nicev, sent, summ.get("rxPackets"), summ.get("dropped"), summ.get("balanced"),
         open("/proc/loadavg").read().split()[0]))
with open(runs_path, "a") as f:
    f.write(json.dumps({k: h["fromRx"] for k, h in lat["hooks"].items()}) + "\n")
for hook, h in lat["hooks"].items():
    fr = h["fromRx"]
    if fr["count"]:
        print("    %-12s RX burst -> callback: p50 %6.1f us  p90 %6.1f us  p99 %6.1f us  p99.9 %6.1f us  max %7.1f us  (%d events)"
              % (hook, fr["p50"] / 1e3, fr["p90"] / 1e3, fr["p99"] / 1e3, fr["p999"] / 1e3, fr["max"] / 1e3,
                 fr["count"]))
EOF
done
python3 - "$tmp/lat-runs.jsonl" "$lp" <<'EOF'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
if len(runs) > 1:
    for hook in runs[0]:
        v = [r[hook] for r in runs if r.get(hook, {}).get("count")]
        if not v:
            continue
        m = lambda k: statistics.median(x[k] for x in v) / 1e3
        print("    %-12s median of %d runs (%s): p50 %6.1f us  p90 %6.1f us  p99 %6.1f us  p99.9 %6.1f us  max %7.1f us"
              % (hook, len(v), sys.argv[2], m("p50"), m("p90"), m("p99"), m("p999"), m("max")))
EOF
done
