#!/usr/bin/env python3
"""bench_nats: the nats plugin on this machine, against a local
`nats-server -js` (file storage in a temporary directory).

    bench/bench_nats.py [BUILD_DIR] [SLOTS] [FORMAT]

FORMAT is the plugin's format, json (default) or protobuf.

1. Throughput: a sof-gen capture (SLOTS slots x 1000 transactions, default
   48) preloaded into mbufs (--driver preload), sofd on one lcore with the
   nats plugin alone; the publisher thread drains its queue into JetStream.
   Median of 3 runs of:
     events/s      events stored / (last - first JetStream store time): what
                   one sofd's publisher sustains into the stream
     lane ns/event the host's time in the nats plugin's callbacks (TSC
                   cycles, /sof/plugins telemetry) per event: the pipeline
                   time a published event costs (goal < 1000 ns); the
                   formatting and publishing run on the plugin's own thread
     acked, lost, dropped   the plugin's counters (goal: lost = dropped = 0)
2. Latency RX -> consumer on loopback: the capture's first 8 slots sent as
   UDP datagrams at about 10k shreds/s ($BENCH_NATS_RATE) to sofd (--driver
   udp), the plugin with latency_header = true (each message carries its RX
   time), sof-sub --latency reading the stream as it fills: p50 / p90 / p99 /
   max in microseconds from the RX burst that completed each event to
   JetStream's store time of it, and to sof-sub's output of it.
"""
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

RATE = float(os.environ.get("BENCH_NATS_RATE", "10000"))  # shreds/s of the latency run
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests"))
import sof_check  # noqa: E402

build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "build")
slots = int(sys.argv[2]) if len(sys.argv) > 2 else 48
fmt = sys.argv[3] if len(sys.argv) > 3 else "json"
if fmt not in ("json", "protobuf"):
    sys.exit(f"bench_nats: format {fmt}: json or protobuf")
gen = os.path.join(build, "tools", "sof-gen")
sofd = os.path.join(build, "app", "sofd")
sub = os.path.join(build, "tools", "sof-sub")
for f in (gen, sofd, sub):
    if not os.path.exists(f):
        sys.exit(f"bench_nats: {f} is missing (build with DPDK and libnats-dev)")


def telemetry(prefix, cmd):
    path = os.path.join(sof_check.runtime_dir(prefix), "dpdk_telemetry.v2")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    json.loads(s.recv(4096))
    s.send(cmd.encode())
    out = json.loads(s.recv(1 << 20))
    s.close()
    return out[cmd]


def nats_server(tmp, name):
    port = sof_check.free_port(socket.SOCK_STREAM)
    p = subprocess.Popen(["nats-server", "-js", "-a", "127.0.0.1", "-p", str(port), "-sd",
                          os.path.join(tmp, "store-" + name)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return p, f"nats://127.0.0.1:{port}"


def throughput(tmp, pcap, sched, run):
    srv, url = nats_server(tmp, f"t{run}")
    try:
        args = sof_check.eal(f"bnats{run}", "0", telemetry=True)
        prefix = sof_check.prefixes[-1]
        p = subprocess.Popen([sofd, *args, "--", "--driver", "preload", "--preload", pcap, "--mlock",
                              "--leader-schedule", sched, "--shred-version", "7", "--plugins", "nats",
                              "--plugin-opt", f"nats.url={url}", "--plugin-opt", f"nats.format={fmt}",
                              "--plugin-opt", "nats.queue_bytes=268435456",
                              "--plugin-opt", "nats.max_pending=16384", "--idle-exit-ms", "8000"],
                             stderr=subprocess.PIPE, text=True)
        tel, last = None, None
        deadline = time.time() + 120
        while time.time() < deadline:
            time.sleep(0.5)
            try:
                pl = telemetry(prefix, "/sof/plugins")
            except (OSError, ValueError):
                continue
            if not isinstance(pl, dict):
                continue
            now = (pl.get("nats_events"), pl.get("nats_acked"))
            if now[0] and now == last:
                tel = pl
                roles = telemetry(prefix, "/sof/roles")
                break
            last = now
        _, err = p.communicate(timeout=120)
        summary = sof_check.summary_of(err)
        c = {}
        for l in err.splitlines():
            if l.startswith('{"type":"nats"'):
                c = json.loads(l)
        r = subprocess.run([sub, "-s", url, "--meta", "--idle-exit-ms", "1000"], capture_output=True, text=True)
        times = [json.loads(l)["time"] for l in r.stdout.splitlines()]
    finally:
        srv.terminate()
        srv.wait()
    rate = (len(times) - 1) / ((max(times) - min(times)) / 1e9) if len(times) > 1 else 0
    # TSC Hz: the rx role's busy cycles (telemetry) over its busy microseconds (summary)
    rx_us = next(r["busyUs"] for r in summary["roles"] if r["role"] == "rx")
    hz = roles["rx_0_busy_cycles"] / (rx_us / 1e6) if rx_us else 0
    cb = sum(v for k, v in tel.items() if k.startswith("plugin_nats_") and k[12:] in
             ("transaction", "slot_status", "reorg", "recent_blockhash", "leader_schedule", "dataset"))
    ns = tel["plugin_nats_callback_cycles"] / cb / hz * 1e9 if cb and hz else float("nan")
    lost = sum(v for k, v in c.items() if k.startswith("lost_"))
    dropped = sum(v for k, v in c.items() if k.startswith("dropped_"))
    return rate, ns, c.get("acked"), lost, dropped, len(times)


def latency(tmp, pcap, sched):
    srv, url = nats_server(tmp, "lat")
    try:
        port = sof_check.free_port()
        p = subprocess.Popen([sofd, *sof_check.eal("bnatslat", "0"), "--", "--driver", "udp", "--udp-bind",
                              "127.0.0.1", "--udp-listen", str(port), "--leader-schedule", sched,
                              "--shred-version", "7", "--plugins", "nats", "--plugin-opt", f"nats.url={url}",
                              "--plugin-opt", f"nats.format={fmt}", "--plugin-opt", "nats.latency_header=true", "--plugin-opt", "nats.poll_us=20"],
                             stderr=subprocess.PIPE, text=True)
        time.sleep(2)
        c = subprocess.Popen([sub, "-s", url, "--new", "--batch", os.environ.get("BENCH_NATS_BATCH", "256"), "--latency", "--idle-exit-ms", "5000"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(1)
        _, frames = sof_check.pcap_frames(pcap)
        payloads = sof_check.udp_payloads(frames, 8001)[:8 * 2048]
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t0 = time.perf_counter()
        for i, pl in enumerate(payloads):
            tx.sendto(pl, ("127.0.0.1", port))
            if i % 16 == 15:
                while time.perf_counter() < t0 + (i + 1) / RATE:
                    pass
        _, cerr = c.communicate(timeout=120)
        p.send_signal(2)
        p.communicate(timeout=60)
        r = subprocess.run([sub, "-s", url, "--meta", "--idle-exit-ms", "1000"], capture_output=True, text=True)
    finally:
        srv.terminate()
        srv.wait()
    stored = sorted((m["time"] - m["rxNs"]) / 1e3 for m in map(json.loads, r.stdout.splitlines()) if "rxNs" in m)
    out = {}
    if stored:
        n = len(stored)
        out["rxToStored"] = {"count": n, "p50": round(stored[(n - 1) // 2], 1),
                             "p90": round(stored[(n * 9 - 1) // 10], 1),
                             "p99": round(stored[(n * 99 - 1) // 100], 1), "max": round(stored[-1], 1)}
    for l in cerr.splitlines():
        if l.startswith('{"type":"latency"'):
            out["rxToSofSub"] = json.loads(l)
    return out


with tempfile.TemporaryDirectory() as tmp:
    pcap, sched, recs = sof_check.generate(gen, tmp, "bench", "-n", str(slots), "--txns-per-slot", "1000",
                                           "--leaders", "3", "--shred-version", "7", "-s", "5")
    ntx = sum(1 for r in recs if r["type"] == "transaction")
    print(f"bench_nats: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {slots} slots, {ntx} transactions; format {fmt}; nats-server {subprocess.run(['nats-server', '--version'], capture_output=True, text=True).stdout.strip()}")
    runs = [throughput(tmp, pcap, sched, i) for i in range(3)]
    for i, (rate, ns, acked, lost, dropped, stored) in enumerate(runs):
        print(f"  run {i + 1}: {rate:10.0f} events/s  {ns:7.1f} lane ns/event  acked {acked} stored {stored} "
              f"lost {lost} dropped {dropped}")
    print(f"throughput (median of 3): {statistics.median(r[0] for r in runs):.0f} events/s published, "
          f"{statistics.median(r[1] for r in runs):.1f} ns of pipeline (lane) time per published event")
    lat = latency(tmp, pcap, sched)
    print(f"latency (us), loopback, {RATE:.0f} shreds/s: RX -> stored in the stream (JetStream's store time): "
          f"{json.dumps(lat.get('rxToStored'))}")
    print(f"latency (us): RX -> printed by sof-sub (pull consumer, batch 256): {json.dumps(lat.get('rxToSofSub'))}")
    sof_check.cleanup_runtime()
