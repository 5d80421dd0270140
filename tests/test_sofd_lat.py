#!/usr/bin/env python3
"""Latency to the client (issues #20, #24): where sofd's helper threads run
and the grpc plugin's per-stage timings.

- threads: sofd on lcore 0 of a machine with more CPUs: the main thread
  (the lcore's poll loop) stays pinned to CPU 0, while the grpc server
  thread `sof-grpc` runs on the other CPUs, so it does not wait for the
  poll loop to be preempted (skipped with a message on a 1-CPU machine);
- stages: one raw HTTP/2 subscriber takes every transaction of a sof-gen
  capture sent over the UDP driver; at stop sofd prints one
  {"type": "grpc_stages"} line whose transaction count is the truth's
  (every transaction record the server read, each once), whose three
  stages (RX -> commit -> read -> written) each hold every one of them, in
  order at every quantile, and the subscriber got the truth's count of
  updates.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import sof_check
from grpc_raw import subscribe_and_send
from sof_check import check

if len(sys.argv) < 3 or not sys.argv[2]:
    print("sofd was not built (DPDK not found): skipping", file=sys.stderr)
    sys.exit(77)
gen, sofd = sys.argv[1], sys.argv[2]


def threads_of(pid):
    out = {}
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            comm = open(f"/proc/{pid}/task/{t}/comm").read().strip()
            cpus = next(l.split(":", 1)[1].strip() for l in open(f"/proc/{pid}/task/{t}/status")
                        if l.startswith("Cpus_allowed_list"))
        except (OSError, StopIteration):
            continue
        ids = set()
        for part in cpus.split(","):
            a, _, b = part.partition("-")
            ids.update(range(int(a), int(b or a) + 1))
        out.setdefault(comm, []).append(ids)
    return out


with tempfile.TemporaryDirectory() as tmp:
    pcap, sched, recs = sof_check.generate(gen, tmp, "lat", "-n", "6", "--txns-per-slot", "120",
                                           "--shred-version", "7", "-s", "41")
    truth = [r for r in recs if r["type"] == "transaction"]
    _, frames = sof_check.pcap_frames(pcap)
    payloads = sof_check.udp_payloads(frames, 8001)
    udp = sof_check.free_port()
    grpc = sof_check.free_port(socket.SOCK_STREAM)
    prom = sof_check.free_port(socket.SOCK_STREAM)
    p = subprocess.Popen([sofd, *sof_check.eal("lat"), "--", "--driver", "udp", "--udp-bind", "127.0.0.1",
                          "--udp-listen", str(udp), "--leader-schedule", sched, "--shred-version", "7",
                          "--plugins", "grpc", "--prometheus", f"127.0.0.1:{prom}",
                          "--plugin-opt", f"grpc.listen=127.0.0.1:{grpc}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and p.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", grpc), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    check(p.poll() is None, "sofd started with the grpc plugin")

    # threads: the lcore's CPU for the poll loop only
    ncpu = len(os.sched_getaffinity(0))
    if ncpu < 2:
        print("threads: skipped (one CPU: the helper threads have nowhere else to run)", file=sys.stderr)
    elif p.poll() is None:
        # running: Prometheus answers
        th, t0 = {}, time.monotonic()
        while time.monotonic() - t0 < 30 and p.poll() is None:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{prom}/metrics", timeout=5).close()
                th = threads_of(p.pid)
                if th.get("sofd") and th["sofd"][0] == {0}:
                    break
            except Exception:  # noqa: BLE001 (not up yet)
                pass
            time.sleep(0.1)
        check(th.get("sofd") and th["sofd"][0] == {0}, f"the main thread (lcore 0) is pinned to CPU 0: {th}")
        for name in ("sof-grpc",):
            sets = th.get(name, [])
            check(sets and all(s and 0 not in s for s in sets),
                  f"{name} runs off the lcore's CPU 0 (on {sets})")

    # stages: a subscriber takes every transaction
    sock, got = subscribe_and_send(grpc, prom, udp, payloads)
    p.send_signal(2)
    try:
        _, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    sock.close()
    summ = sof_check.summary_of(err) or {}
    print(f"sofd: {summ.get('transactions')} transactions, rx {summ.get('rxPackets')} of {len(payloads)}, "
          f"drops {summ.get('drops', {}).get('late')} late, lostBefore {summ.get('lostBefore')}", file=sys.stderr)
    check(p.returncode == 0, f"sofd exit {p.returncode}: {err.strip()[-600:]}")
    # the subscriber's messages: the transactions, and maybe server pings
    check(len(truth) <= got["messages"] <= len(truth) + 8,
          f"the subscriber got the truth's {len(truth)} transactions ({got['messages']} messages)")
    st = next((json.loads(l) for l in err.splitlines() if l.startswith('{"type":"grpc_stages"')), None)
    if check(st is not None, f"sofd printed its grpc_stages line: {err.strip()[-600:]}"):
        check(st["txns"] == len(truth) and st["unsampled"] == 0,
              f"grpc_stages: every transaction read once ({st['txns']} of {len(truth)})")
        names = ("rxToCommit", "rxToRead", "rxToWritten")
        check(all(st[n]["n"] == len(truth) for n in names), f"grpc_stages: each stage holds all of them: {st}")
        for q in ("p50", "p90", "p99", "p999"):
            v = [st[n][q] for n in names]
            check(0 < v[0] <= v[1] <= v[2] < 60e6, f"grpc_stages {q}: RX -> commit -> read -> written in order: {v}")

sof_check.cleanup_runtime()
print(f"{sof_check.checks} checks, {sof_check.failures} failed", file=sys.stderr)
sys.exit(1 if sof_check.failures or not sof_check.checks else 0)
