#!/usr/bin/env bash
# bench_grpc: the grpc plugin's latency and cost (issue #20).
#
#   bench/bench_grpc.sh [BUILD_DIR]
#
# sof-gen-tx sends unique slots at a paced SOF_BENCH_RATE shreds/s (default
# 100000) for 3 s out of a veth pair (net_af_packet on both ends; needs root
# and iproute2, skipped otherwise), as bench_sofd.sh's latency part; sofd
# (one lcore, RX bursts of 4, verification on) runs the grpc plugin alone.
# For N = 1, 10 and 100 subscribers (SOF_BENCH_SUBS):
#   - one probe subscriber (tests/grpc/bench_client.js, grpc-js) subscribes
#     to every non-vote transaction and measures, per update, its receipt
#     time minus created_at, which sofd sets to the wall time of the RX
#     burst that completed the transaction: RX burst -> client receipt,
#     through the pipeline, the plugin lane, the ring, the server thread,
#     loopback TCP and the client's HTTP/2 + protobuf decoding;
#   - N - 1 load subscribers (bench/bench_grpc_load.py, HTTP/2 by hand, one
#     connection, reading without decoding), each with its own
#     account_include filter (one key of the traffic each);
# and reports the probe's percentiles (median of SOF_BENCH_RUNS runs,
# default 3, per percentile), the updates sent, lost and dropped, and
# sofd's cost: ns in the plugin's hooks per encoded record and per update
# sent (lane worker: pipeline time per message; the 1-subscriber runs'
# probe takes no vote, so votes are not encoded there) and server-thread
# CPU ns per delivered update.
# Per stage (sofd's {"type":"grpc_stages"} line, every transaction record
# the server thread read): RX burst -> the hook's commit, -> the server
# thread's read, -> written into the sockets; the client's receipt is the
# probe's figure above.
#
# SOF_BENCH_SOURCE=preload replaces the veth pair and sof-gen-tx by sofd's
# preload driver paced at the rate (--preload-rate; the same frames, from a
# capture sof-gen writes; the first one 5 s after start, so that the
# subscribers are connected): a source that takes no CPU, as a NIC; the
# default, veth, has the generator and the veth delivery on CPU 1.
#
# SOF_BENCH_PACE=sleep (default) makes sof-gen-tx wait for each burst in
# clock_nanosleep (--pace sleep): at 100k frames/s in bursts of 1 its
# TSC busy-poll (SOF_BENCH_PACE=spin) would take the second core of a
# 2-core machine whole, and the server thread and the client would run
# only when the scheduler preempts a poll loop (milliseconds): the bench
# would measure the scheduler, not sofd. SOF_BENCH_NICE=N (default 0) runs
# sofd, the generator and the clients at nice N (negative: ahead of other
# work on a shared machine; the figures then say so). SOF_BENCH_PROBE=raw
# replaces the grpc-js probe by bench/bench_grpc_probe.py (HTTP/2 by hand,
# finds created_at without a protobuf library): sofd's delivery without
# the JavaScript client's decoding.
#
# Placing the server thread and the probe (docs/grpc.md, "Placing the
# server thread"): SOF_BENCH_GRPC_OPTS="cpus=1 sched_priority=50" passes
# each KEY=VALUE word to sofd as --plugin-opt grpc.KEY=VALUE (any
# [plugin.grpc] key: cpus, sched_priority, spin_us...);
# SOF_BENCH_PROBE_CPUS=LIST runs the probe under `taskset -c LIST`
# (SOF_BENCH_LOAD_CPUS=LIST the load subscribers);
# SOF_BENCH_PROBE_FIFO=N runs it under `chrt -f N` (SCHED_FIFO N; below the
# server thread's priority, so the server finishes its pass before the
# probe reads). Without SOF_BENCH_LOAD_CPUS the load subscribers stay
# where the scheduler puts them. The fastest placement measured on the
# 2-vCPU CI class puts the probe and the load subscribers on the server
# thread's CPU (docs/grpc.md, "The clients beside the server").
# Careful: a FIFO probe that is busy (the grpc-js one decodes every
# update) holds its CPU from everything SCHED_OTHER there, the kernel's RT
# throttling leaving 5%: on the lcore's CPU it starves sofd's poll loop,
# on a shared CPU the generator and other users' work (docs/grpc.md).
# Use SOF_BENCH_PROBE_FIFO with the raw probe, or on a CPU of its own.
# The lines say which configuration ran, and `uptime` is printed first.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
gen=$build/tools/sof-gen
gentx=$build/tools/sof-gen-tx
sofd=$build/app/sofd
rate=${SOF_BENCH_RATE:-100000}
pace=${SOF_BENCH_PACE:-sleep}
nicev=${SOF_BENCH_NICE:-0}
probe=${SOF_BENCH_PROBE:-node}
runs=${SOF_BENCH_RUNS:-3}
gopts=${SOF_BENCH_GRPC_OPTS:-}
pcpus=${SOF_BENCH_PROBE_CPUS:-}
pfifo=${SOF_BENCH_PROBE_FIFO:-}
popts=()
for o in $gopts; do
  case $o in *=*) popts+=(--plugin-opt "grpc.$o") ;; *) echo "bench_grpc: SOF_BENCH_GRPC_OPTS: '$o' is not KEY=VALUE" >&2; exit 2 ;; esac
done
lcpus=${SOF_BENCH_LOAD_CPUS:-}
source=${SOF_BENCH_SOURCE:-veth}
case $source in veth|preload) ;; *) echo "bench_grpc: SOF_BENCH_SOURCE: '$source' is not veth or preload" >&2; exit 2 ;; esac
load_pre=()
[ -n "$lcpus" ] && load_pre+=(taskset -c "$lcpus")
probe_pre=()
[ -n "$pcpus" ] && probe_pre+=(taskset -c "$pcpus")
[ -n "$pfifo" ] && probe_pre+=(chrt -f "$pfifo")
conf="source $source, server opts '${gopts:-default}', probe cpus ${pcpus:-any} fifo ${pfifo:-no}, load subscribers cpus ${lcpus:-any}"
[ -x "$sofd" ] || { echo "bench_grpc: $sofd not built (DPDK missing?)"; exit 0; }
[ -d "$here/tests/grpc/node_modules/@grpc" ] || { echo "bench_grpc: skipped (npm ci in tests/grpc)"; exit 0; }
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null || [ ! -x "$gentx" ]; then
  echo "bench_grpc: skipped (needs root, iproute2 and sof-gen-tx)"
  exit 0
fi
tmp=$(mktemp -d)
spid="" ppid_="" lpid=""
cleanup() {
  for p in $spid $ppid_ $lpid; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
  ip link del sofbgrpc0 2>/dev/null || true
}
trap cleanup EXIT
ip link add sofbgrpc0 type veth peer name sofbgrpc1
ip link set sofbgrpc0 up && ip link set sofbgrpc1 up
lslots=$(( rate * 3 / 500 + 8 ))
"$gen" -n "$lslots" -s 9 --txns-per-slot 1 -o /dev/null --leader-schedule "$tmp/lsched.json" 2>/dev/null
# SOF_BENCH_SOURCE=preload: the frames sof-gen-tx would send, in a capture
# sofd preloads and releases itself at the rate (--preload-rate): no
# generator process, so no CPU goes to making traffic (as with a NIC)
[ "$source" = preload ] && "$gen" -n "$lslots" -s 9 --txns-per-slot 400 -o "$tmp/traffic.pcap" 2>/dev/null
# the keys of the traffic, for the load subscribers' filters
"$gen" -n 4 -s 9 --txns-per-slot 400 -o "$tmp/keys.pcap" --truth "$tmp/keys.jsonl" 2>/dev/null
python3 - "$tmp/keys.jsonl" > "$tmp/keys.txt" <<'PY'
import json, os, sys
seen = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("type") == "transaction":
        for k in r.get("accountKeys", []):
            seen[k] = seen.get(k, 0) + 1
print("\n".join(sorted(seen, key=lambda k: (-seen[k], k))))
PY
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

one_run() { # subs -> one JSON line
  local subs=$1 gport mport
  gport=$(free_port); mport=$(free_port)
  local input=(--vdev net_af_packet0,iface=sofbgrpc1,blocksz=4096,framesz=2048,framecnt=16384 --log-level=lib.eal:error --
                --mbufs 65535)
  # preload: the first frame 5 s after the lcores start, the subscribers connected by then
  [ "$source" = preload ] && input=(--log-level=lib.eal:error -- --driver preload --preload "$tmp/traffic.pcap"
                                    --preload-rate "$rate" --preload-delay-ms 5000)
  nice -n "$nicev" "$sofd" --no-huge -m 2048 --no-pci --no-shconf --no-telemetry --file-prefix="sof-bench-grpc-$$" -l 0 \
    "${input[@]}" --leader-schedule "$tmp/lsched.json" --plugins grpc --mlock --burst 4 \
    --plugin-opt "grpc.listen=127.0.0.1:$gport" --plugin-opt grpc.max_streams_per_conn=128 ${popts[@]+"${popts[@]}"} \
    --prometheus "127.0.0.1:$mport" 2> "$tmp/sofd.err" &
  spid=$!
  for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$gport) 2>/dev/null && break; sleep 0.1; done
  if ! kill -0 "$spid" 2>/dev/null; then
    echo "bench_grpc: sofd did not start: $(tail -n 3 "$tmp/sofd.err")" >&2
    exit 1
  fi
  mkfifo "$tmp/p.in" "$tmp/l.in"
  if [ "$probe" = raw ]; then
    nice -n "$nicev" ${probe_pre[@]+"${probe_pre[@]}"} python3 "$here/bench/bench_grpc_probe.py" "$gport" < "$tmp/p.in" > "$tmp/p.out" 2>> "$tmp/p.err" &
  else
    nice -n "$nicev" ${probe_pre[@]+"${probe_pre[@]}"} node "$here/tests/grpc/bench_client.js" "127.0.0.1:$gport" "$here/proto" < "$tmp/p.in" > "$tmp/p.out" 2>> "$tmp/p.err" &
  fi
  ppid_=$!
  exec 7> "$tmp/p.in"
  if [ "$subs" -gt 1 ]; then
    nice -n "$nicev" ${load_pre[@]+"${load_pre[@]}"} python3 "$here/bench/bench_grpc_load.py" "$gport" $(head -n $((subs - 1)) "$tmp/keys.txt") \
      < "$tmp/l.in" > "$tmp/l.out" 2>> "$tmp/l.err" &
    lpid=$!
    exec 8> "$tmp/l.in"
  fi
  for _ in $(seq 100); do grep -q ready "$tmp/p.out" 2>/dev/null && break; sleep 0.1; done
  sleep 0.5
  for attempt in 1 2 3; do
    [ "$source" = preload ] && break
    nice -n "$nicev" "$gentx" --no-huge -m 1024 --no-pci --no-shconf --no-telemetry --file-prefix="sof-bench-grpctx-$$" -l 1 \
      --vdev net_af_packet1,iface=sofbgrpc0 --log-level=lib.eal:error -- \
      -n "$lslots" -s 9 --txns-per-slot 400 --rate "$rate" --burst 1 --duration 3 --stats-interval 0 --pace "$pace" \
      > "$tmp/tx.json" 2> "$tmp/tx.err" || true
    grep -q PACKET_FANOUT "$tmp/tx.err" || break
    /bin/true; /bin/true
  done
  # preload: the 5 s delay ran from the lcores' start, before now; then 3 s of traffic
  [ "$source" = preload ] && sleep 8
  sleep 1.5
  curl -s "http://127.0.0.1:$mport/plugins/grpc" > "$tmp/stats.json" || echo '{}' > "$tmp/stats.json"
  echo stop >&7; exec 7>&-
  wait $ppid_ || true; ppid_=""
  if [ -n "$lpid" ]; then exec 8>&-; wait $lpid || true; lpid=""; fi
  kill -INT $spid 2>/dev/null || true
  wait $spid || true; spid=""
  rm -rf "/var/run/dpdk/sof-bench-grpc-$$" "/var/run/dpdk/sof-bench-grpctx-$$" "$tmp/p.in" "$tmp/l.in"
  python3 - "$tmp/p.out" "$tmp/stats.json" "$tmp/sofd.err" "$tmp/tx.json" "$subs" <<'PY'
import json, os, sys
p_out, st_path, err_path, tx_path, subs = sys.argv[1:6]
lat = [json.loads(l) for l in open(p_out) if l.startswith('{"count"')]
st = json.load(open(st_path)) if open(st_path).read().strip() else {}
summ = next((json.loads(l) for l in open(err_path) if l.startswith('{"type":"summary"')), {})
tx = [json.loads(l) for l in open(tx_path) if l.startswith("{")] if os.path.exists(tx_path) else []
lanes = summ.get("plugins", {}).get("lanes", {})
stages = next((json.loads(l) for l in open(err_path) if l.startswith('{"type":"grpc_stages"')), {})
print(json.dumps({"subs": int(subs), "lat": lat[-1] if lat else {}, "sent": tx[-1].get("sent") if tx else None,
                  "rx": summ.get("rxPackets"), "late": summ.get("dropped"),
                  "laneDrops": sum(l.get("dropped", 0) for l in lanes.values()),
                  "records": st.get("ringRecords"), "txns": st.get("ringTransactions"),
                  "hookCalls": st.get("hookCalls"), "hookNs": st.get("hookNs"),
                  "updates": st.get("updatesSent"), "lost": st.get("lost"), "laggingDropped": st.get("laggingDropped"),
                  "threadNs": st.get("serverThreadCpuNs"), "stages": stages, "thread": st.get("serverThread", {}),
                  "sleeps": tx[-1].get("sleeps") if tx else None,
                  "load": open("/proc/loadavg").read().split()[0]}))
PY
}

uptime
for subs in ${SOF_BENCH_SUBS:-1 10 100}; do
  : > "$tmp/runs.json"
  for r in $(seq "$runs"); do one_run "$subs" >> "$tmp/runs.json"; done
  python3 - "$tmp/runs.json" "$rate" "$pace" "$nicev" "$probe" "$conf" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
rate = sys.argv[2]
def med(key, sub=None):
    v = [(r[key].get(sub) if sub else r.get(key)) for r in runs]
    v = [x for x in v if isinstance(x, (int, float))]
    return statistics.median(v) if v else float("nan")
n = runs[0]["subs"]
print("bench_grpc: %d subscriber(s) at %s shreds/s offered (median of %d runs; generator pace %s, nice %s, probe %s): RX burst -> client receipt "
      "p50 %.1f us  p90 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us  (%d probe updates)"
      % (n, rate, len(runs), sys.argv[3], sys.argv[4], sys.argv[5], med("lat", "p50"), med("lat", "p90"), med("lat", "p99"), med("lat", "p999"),
         med("lat", "max"), med("lat", "count")))
hook = [r["hookNs"] / r["hookCalls"] for r in runs if r.get("hookCalls")]
hook_upd = [r["hookNs"] / r["updates"] for r in runs if r.get("updates")]
thr = [r["threadNs"] / r["updates"] for r in runs if r.get("updates")]
print("    sofd: %s records encoded (%s transactions), %s updates sent, lost %s, lagging dropped %s, lane drops %s, "
      "late shreds %s; hook %.0f ns per record (lane worker), %.0f ns per update sent; server thread %.0f ns CPU "
      "per update sent"
      % (med("records"), med("txns"), med("updates"), med("lost"), med("laggingDropped"), med("laneDrops"), med("late"),
         statistics.median(hook) if hook else float("nan"), statistics.median(hook_upd) if hook_upd else float("nan"),
         statistics.median(thr) if thr else float("nan")))
def stage(name, q):
    v = [r["stages"][name][q] for r in runs if r.get("stages", {}).get(name)]
    return statistics.median(v) if v else float("nan")
print("    stages (median of runs, us from the RX burst): " + "  ".join(
    "%s p50 %.1f p99 %.1f" % (n, stage(n, "p50"), stage(n, "p99")) for n in ("rxToCommit", "rxToRead", "rxToWritten"))
    + "  client p50 %.1f p99 %.1f; server wake-ups %s; load average at the runs' ends %s"
    % (med("lat", "p50"), med("lat", "p99"), med("stages", "wakes"), ",".join(str(r["load"]) for r in runs)))
th = runs[-1].get("thread") or {}
print("    placement: %s; sofd's server thread on CPUs %s, %s %s, spin_us %s"
      % (sys.argv[6], th.get("cpus"), th.get("policy"), th.get("priority"), th.get("spinUs")))
PY
done
