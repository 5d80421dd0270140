#!/usr/bin/env python3
"""Back-pressure (docs/architecture.md, "Flow control"): with a dataset pool
far too small for the rate ([fec] arena_mb = 1: about nine blocks a
dataset fits) and a plugin that holds blocks until its lane writes them
(txlog with datasets), a preloaded replay loses nothing: fec holds its
input while the pool cannot refill its reserve, rx leaves the replay input
unread while a rx_fec ring is short, and the output equals sof-gen's
ground truth.

- 2x2 (rx + fec on lcores 0 and 1, frames dealt by slot, extract /
  dispatch / plugins on 1), clean capture, small rx_fec rings: every
  transaction and dataset of the truth once; no dataset dropped
  (datasetsArenaFull, inlineArenaFull), no ring_full drop, nothing unread;
  fec held (polls and time > 0, no hold given up), rx held polls > 0;
  counters balanced, every block back; /metrics shows the new counters;
- 2x1 (one rx queue, rx + fec on 0), 32 of 64 shreds lost per set (every
  set rebuilt): the same;
- net_pcap reading the file on one lcore (a replay too): the same truth,
  no ring_full drop;
- 2x2slot with the consumers' lcore (1: extract, dispatch, plugin lanes)
  starved of CPU: a SCHED_FIFO busy loop pinned to CPU 1 runs 950 ms of
  every 1000 ms for the whole run (longer than SOFD_FEC_STALL_MS, 250 ms,
  each time), while fec shard 0 on lcore 0 holds for its pool (up to 4
  runs, until one met a starved period: fec held > 250 ms): the same
  truth, no dataset dropped, no hold given up (the downstream was not
  quiet: blocks were on their way back). Needs root (chrt); skipped
  otherwise. The rule before (give up after 250 ms without a block back)
  dropped datasets here (fec_arena_full);
- what the give-up is for: txlog_confirmed with [host] hold_waiting in a
  replay that confirms no slot (the wait buffer keeps every block, nothing
  is in flight): fec's hold is given up (fecHoldGivenUp > 0), the datasets
  the pool cannot take are dropped and counted (datasetsArenaFull > 0), and
  the run still ends on --idle-exit-ms with every frame accounted for.

usage: test_sofd_bp.py SOF_GEN [SOFD]   (exit 77, skipped, without SOFD)
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import sof_check
from sof_check import check

if len(sys.argv) < 3 or not sys.argv[2]:
    print("sofd was not built (DPDK not found): skipping", file=sys.stderr)
    sys.exit(77)
gen, sofd = sys.argv[1], sys.argv[2]
recs_of = {}  # capture path -> its truth records

TWO_BY_TWO = ["--driver", "preload", "--preload-deal", "slot", "--topology-rx", "0,1", "--topology-fec", "0,1",
              "--topology-extract", "1", "--topology-dispatch", "1", "--topology-plugins", "1"]
TWO_BY_ONE = ["--driver", "preload", "--topology-rx", "0", "--topology-fec", "0", "--topology-extract", "1",
              "--topology-dispatch", "1", "--topology-plugins", "1"]


def run(tmp, name, pcap, sched, layout, *extra, scrape=False, plugin="txlog", env=None):
    """sofd on the capture with a 1 MiB dataset pool, txlog (datasets too)
    to a file. layout: "pcap" (net_pcap, one lcore) or a preload topology.
    scrape: serve Prometheus on a free loopback port and read /metrics once
    the txlog holds every transaction (idle exit 2 s later). Returns (exit
    status, txlog lines, summary, stderr, metrics text or "")."""
    txlog = os.path.join(tmp, name + ".txlog")
    if layout == "pcap":
        ealargs = sof_check.eal("bp", "0", pcap=pcap)
        input_args = []
    else:
        ealargs = sof_check.eal("bp", "0,1")
        input_args = layout[:2] + ["--preload", pcap] + layout[2:]
    prom = ["--prometheus", "127.0.0.1:0", "--idle-exit-ms", "2000"] if scrape \
        else ["--idle-exit-ms", "500"]
    p = subprocess.Popen([sofd, *ealargs, "--", *input_args, "--leader-schedule", sched, "--shred-version", "7",
                          "--udp-port", "8001", "--fec-arena-mb", "1", *prom,
                          "--plugins", plugin, "--plugin-opt", f"{plugin}.datasets=true", "--txlog", txlog,
                          # the whole output fits the writer's queue: with both CPUs
                          # polled the writer thread can be starved, and this test is
                          # about fec's back-pressure, not the writer's
                          "--plugin-opt", f"{plugin}.queue_bytes=67108864",
                          *extra], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    metrics, head = "", []
    try:
        if scrape:
            m, head = sof_check.wait_line(p.stderr, r"Prometheus metrics on (http://\S+)", timeout=60)
            url = m.group(1) if m else None
            # the rest of stderr is read meanwhile (a full pipe would stall sofd)
            rest = []
            reader = threading.Thread(target=lambda: rest.append(p.stderr.read()))
            reader.start()
            check(url is not None, f"{name}: Prometheus address announced ({''.join(head)[-400:]})")
            want = len(sof_check.truth_txs(recs_of[pcap]))
            deadline = time.time() + 120
            complete = False
            while url and time.time() < deadline and p.poll() is None:
                if len(sof_check.txs_of(sof_check.read_lines(txlog))) >= want:
                    complete = True
                    break
                time.sleep(0.05)
            check(complete, f"{name}: every transaction in the txlog while sofd runs (sofd exited: {p.poll()})")
            if url and complete:
                try:
                    metrics = urllib.request.urlopen(url, timeout=10).read().decode()
                except OSError as e:
                    check(False, f"{name}: /metrics scraped ({e})")
        if scrape:
            p.wait(timeout=300)
            reader.join()
            err = "".join(head) + "".join(rest)
        else:
            err = p.stderr.read()
            p.wait(timeout=300)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return p.returncode, sof_check.read_lines(txlog), sof_check.summary_of(err), err, metrics


def datasets(recs, key_start, key_end, key_cnt):
    return sorted((r["slot"], r[key_start], r[key_end], r[key_cnt]) for r in recs if r["type"] == "dataset")


def delivered_in_full(name, rc, lines, s, err, recs, frames):
    check(rc == 0, f"{name}: exit 0 (rc {rc}: {[l for l in err.splitlines() if not l.startswith('{')][-6:]} {json.dumps(s.get('plugins', {}).get('outputs', s.get('outputs')))})")
    check(s.get("stop") == "idle", f"{name}: stopped on --idle-exit-ms ({s.get('stop')})")
    got = sof_check.txs_of(lines)
    want = sof_check.truth_txs(recs)
    check(len(got) == len(set(got)), f"{name}: every transaction once")
    check(got == want, f"{name}: transactions equal the truth ({len(got)} vs {len(want)})")
    check(datasets(lines, "startIndex", "endIndex", "txCount") == datasets(recs, "startIndex", "endIndex", "txCount"),
          f"{name}: datasets equal the truth")
    check(s.get("datasetsArenaFull") == 0, f"{name}: no dataset dropped for the pool ({s.get('datasetsArenaFull')})")
    drops = s.get("drops", {})
    check(drops.get("ring_full") == 0, f"{name}: no shred dropped at a full rx_fec ring ({drops.get('ring_full')})")
    check(s.get("lostBefore", {}).get("unreadAtExit") == 0, f"{name}: no input left unread")
    sof_check.balanced(name, s, frames)
    check(s.get("datasetBlocksInUse") == 0, f"{name}: every dataset block back ({s.get('datasetBlocksInUse')})")
    bp = s.get("backpressure", {})
    check(bp.get("fecHoldGivenUp") == 0, f"{name}: no hold given up ({bp})")
    return bp


with tempfile.TemporaryDirectory() as tmp:
    try:
        common = ["-n", "24", "--txns-per-slot", "400", "--shred-version", "7", "-s", "5"]
        pcap, sched, recs = sof_check.generate(gen, tmp, "clean", *common)
        frames = [r for r in recs if r["type"] == "summary"][-1]["frames"]
        recs_of[pcap] = recs

        name = "2x2slot, 1 MiB pool, rx_fec 256"
        rc, lines, s, err, metrics = run(tmp, "2x2", pcap, sched, TWO_BY_TWO, "--ring-rx-fec-size", "256",
                                         scrape=True)
        bp = delivered_in_full(name, rc, lines, s, err, recs, frames)
        check(bp.get("fecHeldPollsPool", 0) > 0, f"{name}: fec held back for the pool ({bp})")
        check(bp.get("fecHeldUs", 0) > 0, f"{name}: time held counted ({bp})")
        check(bp.get("rxHeldPolls", 0) > 0, f"{name}: rx left the replay input unread while fec held ({bp})")
        # Prometheus (scraped with every transaction delivered): the new
        # counters, fec's held polls by cause
        def metric(n):
            return [float(l.split()[-1]) for l in metrics.splitlines() if l.split(" ")[0] == n]
        held_s = [float(l.split()[-1]) for l in metrics.splitlines()
                  if l.startswith('sof_role_held_seconds_total{role="fec"')]
        check(len(held_s) == 2 and sum(held_s) > 0, f"{name}: sof_role_held_seconds_total of both fec shards, > 0 ({held_s})")
        check(abs(sum(held_s) * 1e6 - bp.get("fecHeldUs", 0)) <= 0.05 * bp.get("fecHeldUs", 0) + 1000,
              f"{name}: the seconds on /metrics match the summary's fecHeldUs ({sum(held_s)} s, {bp.get('fecHeldUs')} us)")
        check(len(metric("sof_rx_held_polls_total")) == 1 and metric("sof_rx_held_polls_total")[0] > 0,
              f"{name}: sof_rx_held_polls_total > 0 on /metrics")
        check(metric("sof_fec_hold_given_up_total") == [0.0], f"{name}: sof_fec_hold_given_up_total 0 on /metrics")
        check(metric("sof_fec_arena_full_total") == [0.0], f"{name}: sof_fec_arena_full_total 0 on /metrics")
        pool = metric('sof_fec_held_polls_total{cause="pool"}')
        check(len(pool) == 1 and pool[0] > 0, f"{name}: sof_fec_held_polls_total{{cause=\"pool\"}} > 0 ({pool})")
        check(len(metric('sof_fec_held_polls_total{cause="out"}')) == 1, f"{name}: cause=\"out\" listed")

        name = "2x1, 32/64 lost per set, 1 MiB pool"
        lpcap, lsched, lrecs = sof_check.generate(gen, tmp, "loss", *common, "--loss-per-set", "32")
        lframes = [r for r in lrecs if r["type"] == "summary"][-1]["frames"]
        recs_of[lpcap] = lrecs
        rc, lines, s, err, _ = run(tmp, "2x1", lpcap, lsched, TWO_BY_ONE)
        delivered_in_full(name, rc, lines, s, err, lrecs, lframes)

        name = "net_pcap file, one lcore, 1 MiB pool"
        rc, lines, s, err, _ = run(tmp, "pcap", pcap, sched, "pcap")
        delivered_in_full(name, rc, lines, s, err, recs, frames)

        # the consumers' lcore starved of CPU (the cause of a replay's loss
        # on a loaded machine): a real-time busy loop pinned to CPU 1
        name = "2x2slot, lcore 1 starved 950 of every 1000 ms, 1 MiB pool"
        if os.geteuid() != 0 or subprocess.run(["chrt", "-f", "1", "true"], capture_output=True).returncode != 0:
            print(f"{name}: skipped (needs root and chrt for SCHED_FIFO)", file=sys.stderr)
        else:
            # 950 of every 1000 ms: no gap in which lcore 1's share of the
            # replay (tens of ms of CPU) could run whole
            spin = ("import time\n"
                    "while True:\n"
                    "    t = time.monotonic() + 0.95\n"
                    "    while time.monotonic() < t: pass\n"
                    "    time.sleep(0.05)\n")
            # a replay long enough to meet several starved periods
            spcap, ssched, srecs = sof_check.generate(gen, tmp, "starve", "-n", "128", "--txns-per-slot", "400",
                                                      "--shred-version", "7", "-s", "5", "--loss-per-set", "32")
            sframes = [r for r in srecs if r["type"] == "summary"][-1]["frames"]
            recs_of[spcap] = srecs
            # The replay alone takes well under a second: it may fall into
            # one unstarved gap. Every attempt must deliver in full (the
            # assertion); the attempts stop once one met a starved period
            # (fec held past SOFD_FEC_STALL_MS in all, which the old rule
            # gave up on), and at least one must have.
            met = False
            for attempt in range(4):
                hog = subprocess.Popen(["chrt", "-f", "10", "taskset", "-c", "1", sys.executable, "-c", spin])
                t0 = time.time()
                try:
                    # Without glibc's MALLOC_PERTURB_ (meson sets it): with it, in
                    # quiet runs on the 2-vCPU CI class, lcore 1's share of the
                    # replay ran unhindered under the same hog (fec held ~60 ms,
                    # rx1 busy 20 ms against 830 without it); why is not found
                    # yet (an open item in the session notes); delivery was whole
                    # either way.
                    rc, lines, s, err, _ = run(tmp, f"starved{attempt}", spcap, ssched, TWO_BY_TWO,
                                               "--ring-rx-fec-size", "16384",
                                               env={k: v for k, v in os.environ.items()
                                                    if k != "MALLOC_PERTURB_"})
                finally:
                    hog.kill()
                    hog.wait()
                print(f"{name}, attempt {attempt + 1}: {time.time() - t0:.1f} s, back-pressure "
                      f"{s.get('backpressure')}", file=sys.stderr)
                bp = delivered_in_full(f"{name}, attempt {attempt + 1}", rc, lines, s, err, srecs, sframes)
                check(bp.get("fecHeldPollsPool", 0) > 0, f"{name}: fec held back for the pool ({bp})")
                if bp.get("fecHeldUs", 0) > 250000:
                    met = True
                    break
            check(met, f"{name}: in one of the attempts fec held longer than SOFD_FEC_STALL_MS in all")

        # what the give-up is for: blocks that only new input could free
        name = "hold_waiting, no slot ever confirmed, 1 MiB pool"
        t0 = time.time()
        rc, lines, s, err, _ = run(tmp, "waiting", pcap, sched, TWO_BY_ONE, "--host-hold-waiting=true",
                                   plugin="txlog_confirmed")
        bp = s.get("backpressure", {})
        print(f"{name}: {time.time() - t0:.1f} s, datasetsArenaFull {s.get('datasetsArenaFull')}, "
              f"back-pressure {bp}", file=sys.stderr)
        check(s.get("stop") == "idle", f"{name}: stopped on --idle-exit-ms after {time.time() - t0:.1f} s "
              f"(rc {rc}, {s.get('stop')})")
        check(bp.get("fecHoldGivenUp", 0) > 0, f"{name}: fec's hold given up ({bp})")
        check(s.get("datasetsArenaFull", 0) > 0, f"{name}: the datasets the pool could not take counted "
              f"({s.get('datasetsArenaFull')})")
        check(s.get("lostBefore", {}).get("unreadAtExit") == 0, f"{name}: no input left unread")
        sof_check.balanced(name, s, frames)
    finally:
        sof_check.cleanup_runtime()

print(f"test_sofd_bp: {sof_check.checks} checks, {sof_check.failures} failed")
sys.exit(1 if sof_check.failures else 0)
