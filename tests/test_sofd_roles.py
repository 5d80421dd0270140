#!/usr/bin/env python3
"""sofd's roles on rings, its configuration, drivers, observability and
control plane, on sof-gen captures checked against the ground truth:

- topology from an INI file (config/replay.ini) on two lcores; two RX queues
  (net_pcap, one file each) on two rx instances; two fec shards: the
  transaction log equals the truth (each transaction once), every packet in
  one counter, each role on the lcore the topology gave it;
- the UDP socket driver on loopback (two SO_REUSEPORT sockets): the same;
- live observability: rte_telemetry /sof/stats, /sof/roles, /sof/rings,
  /sof/plugins over the EAL telemetry socket, and the Prometheus endpoint,
  agree with the packets sent;
- forks: slotlog statuses and reorgs against the truth's canonical chain;
  a confirmed-subscribed txlog (txlog_confirmed) writes exactly the
  transactions of slots that reached confirmed, none of orphaned slots;
- a flood of shreds for random far-ahead slots: peak RSS with 8x the flood
  stays within a few MiB of the smaller run (bounded state);
- bad topology / config entries: exit 2 and a message naming the entry.

usage: test_sofd_roles.py SOF_GEN [SOFD]   (exit 77, skipped, without SOFD)
"""
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
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
here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(here)
def generate(tmp, name, *opts):
    return sof_check.generate(gen, tmp, name, *opts)


def eal(lcores, *vdevs, telemetry=False):
    return sof_check.eal("roles", lcores, vdevs=vdevs, telemetry=telemetry)


def run(args, timeout=180):
    p = subprocess.run([sofd, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, summary_of(p.stderr), p.stderr


summary_of, txs_of, truth_txs = sof_check.summary_of, sof_check.txs_of, sof_check.truth_txs
read_lines, balanced = sof_check.read_lines, sof_check.balanced
pcap_frames, write_pcap = sof_check.pcap_frames, sof_check.write_pcap


with tempfile.TemporaryDirectory() as tmp:
    common = ["-n", "8", "--txns-per-slot", "120", "--leaders", "3", "--leader-rotation", "2",
              "--shred-version", "7", "-s", "11"]
    pcap, sched, recs = generate(tmp, "loss", *common, "--loss-per-set", "32", "--dup", "0.1",
                                 "--reorder", "16", "--forge", "0.2", "--garbage", "0.03",
                                 "--skip-rate", "0.2", "--fork-every", "3")
    frames = [r for r in recs if r["type"] == "summary"][-1]["frames"]

    # 1. topology from the INI file, two lcores
    txlog = os.path.join(tmp, "ini.txlog")
    rc, s, err = run(eal("0,1", f"net_pcap0,rx_pcap={pcap}") +
                     ["--", "--config", os.path.join(repo, "config", "replay.ini"),
                      "--leader-schedule", sched, "--shred-version", "7", "--udp-port", "8001",
                      "--txlog", txlog])
    check(rc == 0, f"ini: exit 0 ({err[-400:]})")
    check(txs_of(read_lines(txlog)) == truth_txs(recs), "ini: transactions equal the truth")
    balanced("ini", s, frames)
    lc = {r["role"]: r["lcore"] for r in s.get("roles", [])}
    check(lc == {"rx": 0, "fec": 0, "extract": 1, "dispatch": 1, "plugins": 1},
          f"ini: roles on the configured lcores ({lc})")
    check(s.get("stop") == "idle", "ini: idle_exit_ms from the file")
    rxd = sum(r["dropped"] for r in s.get("roles", []) if r["role"] == "rx")
    fecd = sum(r["dropped"] for r in s.get("roles", []) if r["role"] == "fec")
    check(rxd + s.get("accepted", 0) + s.get("drops", {}).get("late", 0) == frames and fecd == s["drops"]["late"],
          f"ini: role activity drops add up (rx {rxd}, fec {fecd})")

    # 1b. txlog filters (Yellowstone semantics) select exactly the expected
    #     subsets of the full log
    full = read_lines(txlog)
    nonvote = [l for l in full if l["kind"] == "non_vote"]
    key = next(k for l in nonvote for k in l["accountKeys"][1:] if sum(k in x["accountKeys"] for x in full) < len(full))
    with_key = sorted(l["signature"] for l in full if key in l["accountKeys"])
    sig = nonvote[0]["signature"]
    for fname, opts, want in (
            ("vote=false", ["txlog.vote=false"], sorted(l["signature"] for l in nonvote)),
            ("vote=true", ["txlog.vote=true"], sorted(l["signature"] for l in full if l["kind"] != "non_vote")),
            ("account_include", [f"txlog.account_include={key}"], with_key),
            ("account_exclude", [f"txlog.account_exclude={key}"],
             sorted(l["signature"] for l in full if key not in l["accountKeys"])),
            ("account_required", [f"txlog.account_required={key},{nonvote[0]['accountKeys'][0]}"],
             sorted(l["signature"] for l in full if key in l["accountKeys"]
                    and nonvote[0]["accountKeys"][0] in l["accountKeys"])),
            ("signature", [f"txlog.signature={sig}"], [sig])):
        flog = os.path.join(tmp, f"filter_{fname}.txlog")  # outputs append: a file per run
        args = ["--", "--leader-schedule", sched, "--shred-version", "7", "--udp-port", "8001",
                "--idle-exit-ms", "300", "--txlog", flog]
        for o in opts:
            args += ["--plugin-opt", o]
        rc, s, err = run(eal("0", f"net_pcap0,rx_pcap={pcap}") + args)
        got = sorted(l["signature"] for l in read_lines(flog))
        check(rc == 0 and got == want and len(want) > 0,
              f"txlog filter {fname}: {len(got)} lines, {len(want)} expected ({err[-200:]})")

    # 2. two RX queues (net_pcap: one file per queue) on two rx instances,
    #    two fec shards, on two lcores
    hdr, fr = pcap_frames(pcap)
    qa, qb = os.path.join(tmp, "qa.pcap"), os.path.join(tmp, "qb.pcap")
    write_pcap(qa, hdr, fr[0::2])
    write_pcap(qb, hdr, fr[1::2])
    txlog = os.path.join(tmp, "rss.txlog")
    rc, s, err = run(eal("0,1", f"net_pcap0,rx_pcap={qa},rx_pcap={qb}") +
                     ["--", "--leader-schedule", sched, "--shred-version", "7", "--udp-port", "8001",
                      "--idle-exit-ms", "500", "--txlog", txlog, "--topology-rx", "0,1",
                      "--topology-fec", "0,1", "--topology-extract", "1", "--topology-dispatch", "0",
                      "--topology-plugins", "1"])
    check(rc == 0, f"2 queues: exit 0 ({err[-400:]})")
    check(txs_of(read_lines(txlog)) == truth_txs(recs), "2 queues / 2 shards: transactions equal the truth")
    balanced("2 queues", s, frames)
    rx = [r for r in s.get("roles", []) if r["role"] == "rx"]
    check(len(rx) == 2 and all(r["processed"] > 0 for r in rx), f"2 queues: both rx instances received ({rx})")
    # every set's shreds reach both queues: without the shared signed-root
    # table each rx instance would check every set (2 x sets + 2 x forged);
    # with it, the second instance mostly finds the set checked (both
    # checking the same set at the same moment is the only double work)
    gs = [r for r in recs if r["type"] == "summary"][-1]
    print(f"2 queues: {s.get('sigVerifies')} ed25519, {s.get('sharedHits')} shared hits, "
          f"{gs['fecSets']} sets, {gs['forgedSets']} forged", file=sys.stderr)
    check(s.get("sharedHits", 0) > 0 and
          s.get("sigVerifies", 0) + s.get("sharedHits", 0) <= 2 * gs["fecSets"] + 2 * gs["forgedSets"] and
          s.get("sigVerifies", 0) < 2 * gs["fecSets"] + 2 * gs["forgedSets"],
          f"2 queues: one ed25519 per set across rx instances ({s.get('sigVerifies')} for {gs['fecSets']} sets)")
    fec = [r for r in s.get("roles", []) if r["role"] == "fec"]
    check(len(fec) == 2 and all(r["processed"] > 0 for r in fec), "2 shards: both fec instances worked")
    check(sorted(s.get("rings", {})) == ["sofd_extract_dispatch", "sofd_fec_extract", "sofd_rx_fec_0",
                                         "sofd_rx_fec_1"],
          f"2 shards: an rx_fec ring per shard, no events ring without raw/shred subscribers "
          f"({list(s.get('rings', {}))})")

    # 3. the UDP socket driver on loopback, two SO_REUSEPORT sockets
    sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sk.bind(("127.0.0.1", 0))
    port = sk.getsockname()[1]
    sk.close()
    txlog = os.path.join(tmp, "udp.txlog")
    payloads = []
    for _, d in fr:
        if len(d) >= 42 and d[12:14] == b"\x08\x00" and d[23] == 17:
            ihl = (d[14] & 15) * 4
            udp = 14 + ihl
            if struct.unpack(">H", d[udp + 2:udp + 4])[0] == 8001:
                payloads.append(d[udp + 8:])
    p = subprocess.Popen([sofd, *eal("0,1"), "--", "--driver", "udp", "--udp-bind", "127.0.0.1",
                          "--udp-listen", str(port), "--leader-schedule", sched, "--shred-version", "7",
                          "--topology-rx", "0,1", "--topology-fec", "0", "--topology-extract", "1",
                          "--topology-dispatch", "1", "--topology-plugins", "1", "--txlog", txlog],
                         stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)
    # two source sockets (two flows: the kernel may spread them over both)
    senders = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
    for i, pl in enumerate(payloads):
        senders[i % 2].sendto(pl, ("127.0.0.1", port))
        if i % 64 == 63:
            time.sleep(0.002)
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    s = summary_of(err)
    check(p.returncode == 0, f"udp: exit 0 ({err[-400:]})")
    check(s.get("driver") == "udp" and s.get("rxPackets") == len(payloads),
          f"udp: every datagram received ({s.get('rxPackets')} of {len(payloads)})")
    check(txs_of(read_lines(txlog)) == truth_txs(recs), "udp: transactions equal the truth")
    balanced("udp", s, len(payloads))

    # 4. live telemetry and Prometheus while sofd runs (SIGINT to stop)
    txlog = os.path.join(tmp, "tel.txlog")
    args = eal("0", f"net_pcap0,rx_pcap={pcap}", telemetry=True)
    prefix = sof_check.prefixes[-1]
    p = subprocess.Popen([sofd, *args, "--", "--leader-schedule", sched, "--shred-version", "7",
                          "--udp-port", "8001", "--prometheus", "127.0.0.1:0", "--txlog", txlog,
                          "--plugins", "txlog,metrics", "--plugin-opt", "metrics.path=/dev/null"],
                         stderr=subprocess.PIPE, text=True)
    m, err_lines = sof_check.wait_line(p.stderr, r"Prometheus metrics on (http://\S+)")
    prom_url = m.group(1) if m else None
    check(prom_url is not None, f"prometheus: address announced ({''.join(err_lines)[-300:]})")
    errbuf = []
    t = threading.Thread(target=lambda: errbuf.append(p.stderr.read()))
    t.start()
    want = len(truth_txs(recs))
    deadline = time.time() + 30
    while time.time() < deadline and len(read_lines(txlog)) < want:
        time.sleep(0.2)
    time.sleep(0.3)
    if prom_url:
        body = urllib.request.urlopen(prom_url, timeout=10).read().decode()
        m = re.search(r"^sof_rx_packets_total (\d+)$", body, re.M)
        check(m is not None and int(m.group(1)) == frames,
              f"prometheus: sof_rx_packets_total = {frames} ({m.group(1) if m else None})")
        check("# TYPE sof_rx_packets_total counter" in body and "# TYPE slot_tip" not in body
              and "# TYPE sof_slot_tip gauge" in body, "prometheus: TYPE lines")
        check(re.search(r'^sof_role_processed_total\{role="fec",instance="0",lcore="0"\} \d+$', body, re.M)
              is not None, "prometheus: per-role series")
        mj = json.loads(urllib.request.urlopen(prom_url.replace("/metrics", "/plugins/metrics"),
                                               timeout=10).read().decode())
        check(mj.get("transactions") == want,
              f"prometheus: /plugins/metrics serves the metrics plugin's counters ({str(mj)[:200]})")
        try:
            urllib.request.urlopen(prom_url.replace("/metrics", "/nope"), timeout=10)
            check(False, "prometheus: unknown path is 404")
        except urllib.error.HTTPError as e:
            check(e.code == 404, f"prometheus: unknown path is 404 ({e.code})")
    sock_path = os.path.join(sof_check.runtime_dir(prefix), "dpdk_telemetry.v2")
    tel = {}
    try:
        c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        c.connect(sock_path)
        json.loads(c.recv(16384).decode())
        for cmd in ("/sof/stats", "/sof/roles", "/sof/rings", "/sof/plugins", "/sof/leader", "/"):
            c.send(cmd.encode())
            tel[cmd] = json.loads(c.recv(1 << 20).decode())
        c.close()
    except OSError as e:
        check(False, f"telemetry: connect {sock_path}: {e}")
    if tel:
        st = tel["/sof/stats"]["/sof/stats"]
        check(st.get("rx_packets") == frames and st.get("balanced") == 1,
              f"telemetry: /sof/stats rx_packets {st.get('rx_packets')} balanced {st.get('balanced')}")
        check(st.get("extract_transactions") == want, "telemetry: extract_transactions")
        roles = tel["/sof/roles"]["/sof/roles"]
        check({"_".join(k.split("_")[:2]) for k in roles} == {"rx_0", "fec_0", "extract_0", "dispatch_0", "plugins_0"},
              f"telemetry: /sof/roles ({sorted(roles)[:8]})")
        check(roles.get("rx_0_processed") == frames, "telemetry: rx.0 processed every frame")
        check(tel["/sof/rings"]["/sof/rings"].get("sofd_rx_fec_0_size") == 4096, "telemetry: /sof/rings")
        pl = tel["/sof/plugins"]["/sof/plugins"]
        check(pl.get("plugin_txlog_transaction") == want,
              f"telemetry: /sof/plugins txlog callbacks ({pl.get('plugin_txlog_transaction')})")
        check("/sof/stats" in tel["/"]["/"], "telemetry: /sof/ commands listed")
        ld = tel["/sof/leader"]["/sof/leader"]
        lead = json.load(open(sched))
        check(ld.get("leader") in lead and ld.get("slot") in [off for offs in lead.values() for off in offs],
              f"telemetry: /sof/leader is a scheduled leader at one of its slots ({ld})")
    p.send_signal(signal.SIGINT)
    p.wait(timeout=60)
    t.join(timeout=10)
    s = summary_of("".join(errbuf))
    check(p.returncode == 0 and s.get("stop") == "sigint", f"telemetry run: SIGINT exit 0 ({p.returncode})")
    if prom_url and s:
        udp_payloads = s["rxPackets"] - sum(v for k, v in s["drops"].items()
                                            if k in ("l2_too_short", "not_ipv4", "vlan_too_deep", "ipv4_bad_header",
                                                     "ipv4_fragment", "not_udp", "udp_bad_length",
                                                     "multi_segment", "wrong_port"))
        check(mj.get("packets") == udp_payloads and mj.get("shreds") == s["accepted"] + s["drops"]["late"],
              f"metrics plugin: raw_packet = every UDP payload ({mj.get('packets')} vs {udp_payloads}), "
              f"shred = every accepted shred ({mj.get('shreds')})")

    # 4b. inline delivery: txlog_inline asks for every transaction as soon as
    #     its bytes are complete in its dataset's contiguous prefix. With
    #     batches completing in slot order (frames shuffled 3 at a time),
    #     every transaction comes early: the walk takes the prefix, and the
    #     completing shred's transactions go out inline ahead of the
    #     dataset. With frames shuffled 4096 at a time (whole slots of 4
    #     batches), some batches complete before earlier ones of their
    #     slot, and their transactions come with the dataset. Each
    #     transaction exactly once either way.
    for reorder, batches, want_dataset in (("3", "2", False), ("4096", "4", True)):
        ipcap, isched, irecs = generate(tmp, "inline" + reorder, "-n", "4", "--txns-per-slot", "200",
                                        "--batches-per-slot", batches, "--shred-version", "7", "-s", "21",
                                        "--reorder", reorder)
        inl = os.path.join(tmp, "inline%s.txlog" % reorder)
        rc, s, err = run(eal("0,1", f"net_pcap0,rx_pcap={ipcap}") +
                         ["--", "--leader-schedule", isched, "--idle-exit-ms", "500", "--plugins", "txlog_inline",
                          "--plugin-opt", f"txlog_inline.path={inl}"])
        got = read_lines(inl)
        paths = {}
        for l in got:
            paths[l.get("path")] = paths.get(l.get("path"), 0) + 1
        check(rc == 0 and txs_of(got) == truth_txs(irecs),
              f"inline, reorder {reorder}: transactions equal the truth, each once ({len(got)})")
        if want_dataset:
            check(paths.get("inline", 0) > 0 and paths.get("dataset", 0) > 0 and set(paths) <= {"inline", "dataset"},
                  f"inline, reorder {reorder}: early ones and, for batches done out of order, dataset ones ({paths})")
        else:
            check(paths == {"inline": len(got)} and len(got) == len(truth_txs(irecs)),
                  f"inline, reorder {reorder}: every transaction early ({paths})")
        check(s.get("plugins", {}).get("lanes", {}).get("inline_critical", {}).get("enqueued", 0) == len(got),
              f"inline, reorder {reorder}: every transaction through the inline-critical lane "
              f"({s.get('plugins', {}).get('lanes')})")

    # 5. forks: slot statuses, reorgs, commitment-subscribed transactions
    pcap, sched, recs = generate(tmp, "forks", "-n", "40", "--txns-per-slot", "24", "--leaders", "2",
                                 "--shred-version", "7", "-s", "5", "--fork-every", "6",
                                 "--fork-length", "2", "--loss-per-set", "16", "--reorder", "8")
    slots = [r for r in recs if r["type"] == "slot"]
    canonical = {r["slot"] for r in slots if r.get("canonical") and not r.get("skipped")}
    losers = {r["slot"] for r in slots if not r.get("canonical") and not r.get("skipped")}
    check(len(losers) >= 4, f"forks: the capture has forks ({sorted(losers)})")
    slotlog, conf = os.path.join(tmp, "slot.jsonl"), os.path.join(tmp, "conf.txlog")
    rc, s, err = run(eal("0,1", f"net_pcap0,rx_pcap={pcap}") +
                     ["--", "--leader-schedule", sched, "--shred-version", "7", "--idle-exit-ms", "500",
                      "--forks-confirmed-depth", "3", "--forks-finalized-depth", "8",
                      "--plugins", "txlog_confirmed,slotlog", "--plugin-opt", f"slotlog.path={slotlog}",
                      "--plugin-opt", f"txlog_confirmed.path={conf}"])
    check(rc == 0, f"forks: exit 0 ({err[-400:]})")
    sl = read_lines(slotlog)
    status = {}
    for l in sl:
        if l["type"] == "slot_status":
            status.setdefault(l["slot"], []).append(l["status"])
    confirmed = {k for k, v in status.items() if "confirmed" in v}
    orphaned = {k for k, v in status.items() if "orphaned" in v}
    reorgs = [l for l in sl if l["type"] == "reorg"]
    check(orphaned == losers, f"forks: orphaned slots are the losing branches ({sorted(orphaned)} vs {sorted(losers)})")
    check(confirmed and confirmed <= canonical, "forks: only canonical slots reach confirmed")
    check(len(reorgs) == len(losers) // 2, f"forks: one reorg per fork ({len(reorgs)})")
    check(all(set(r["detached"]) <= losers for r in reorgs), "forks: reorgs detach losing slots")
    got = read_lines(conf)
    check(txs_of(got) == truth_txs(recs, confirmed),
          f"forks: confirmed txlog = truth of confirmed slots ({len(got)} lines)")
    check(not any(l["slot"] in orphaned for l in got), "forks: nothing of orphaned slots")
    check(all(l.get("commitment") == "confirmed" for l in got), "forks: delivered at commitment confirmed")
    check(s.get("plugins", {}).get("commitOrphaned", 0) > 0, "forks: waiting transactions of orphaned slots discarded")
    check(any(l["type"] == "recent_blockhash" for l in sl), "forks: recent_blockhash events")
    check(any(l["type"] == "leader_schedule" and l["kind"] == "current" for l in sl), "forks: leader context events")
    snap = [l for l in sl if l["type"] == "leader_schedule" and l["kind"] == "snapshot"]
    check(len(snap) == 1 and snap[0]["scheduleSlots"] == 40 and sl.index(snap[0]) == 0,
          f"forks: one schedule snapshot first ({snap[:1]})")
    firsts = {l["slot"] for l in sl if l["type"] == "slot_status" and l.get("event") == "first_shred"}
    completes = {l["slot"] for l in sl if l["type"] == "slot_status" and l.get("event") == "complete"}
    produced = {r["slot"] for r in slots if not r.get("skipped")}
    check(firsts == produced, f"forks: a first_shred moment per produced slot ({len(firsts)} vs {len(produced)})")
    check(completes == produced, f"forks: a complete moment per produced slot ({len(completes)})")

    # 6. flood of shreds for random far-ahead slots (trusted posture so they
    #    reach every stage): peak RSS must not grow with the flood
    pcap, sched, recs = generate(tmp, "base", "-n", "4", "--txns-per-slot", "64", "-s", "9")
    hdr, fr = pcap_frames(pcap)
    rng = random.Random(7)

    def flood(n, path):
        out = list(fr)
        for i in range(n):
            h, d = fr[rng.randrange(len(fr))]
            d = bytearray(d)
            off = 14 + 20 + 8   # Ethernet, IPv4 (no options), UDP
            d[off + 65:off + 73] = struct.pack("<Q", rng.randrange(10**6, 10**12))
            d[40:42] = b"\0\0"  # UDP checksum: none
            out.append((h, bytes(d)))
        write_pcap(path, hdr, out)

    rss = {}
    for n in (20000, 160000):
        fp = os.path.join(tmp, f"flood{n}.pcap")
        flood(n, fp)
        pr = subprocess.Popen([sofd, *eal("0", f"net_pcap0,rx_pcap={fp}"), "--", "--posture",
                               "trusted_raw_shred_provider", "--idle-exit-ms", "500",
                               "--txlog", os.path.join(tmp, f"flood{n}.txlog")],
                              stderr=subprocess.PIPE, text=True)
        peak = 0
        errbuf = []
        t = threading.Thread(target=lambda: errbuf.append(pr.stderr.read()))
        t.start()
        while pr.poll() is None:
            try:
                with open(f"/proc/{pr.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            peak = max(peak, int(line.split()[1]))
            except OSError:
                pass
            time.sleep(0.05)
        t.join(timeout=10)
        s = summary_of("".join(errbuf))
        rss[n] = peak
        check(pr.returncode == 0 and s.get("rxPackets") == len(fr) + n,
              f"flood {n}: exit 0, every frame received ({s.get('rxPackets')})")
        check(s.get("balanced") is True, f"flood {n}: balanced")
        check(s.get("transactions") == 4 * 64, f"flood {n}: the genuine transactions ({s.get('transactions')})")
        print(f"flood {n} shreds: peak RSS {peak} KiB", file=sys.stderr)
    # AddressSanitizer's own bookkeeping (quarantine, shadow) grows with
    # activity: the flatness of sofd's memory is a property of the
    # uninstrumented build
    ldd = subprocess.run(["ldd", sofd], capture_output=True, text=True).stdout
    if "libasan" in ldd:
        print("flood: sanitizer build, peak RSS comparison skipped", file=sys.stderr)
    else:
        check(rss[160000] - rss[20000] < 16 * 1024,
              f"flood: peak RSS flat ({rss[20000]} KiB with 20k, {rss[160000]} KiB with 160k)")

    # 7. bad topology and config entries
    ini = os.path.join(tmp, "bad.ini")
    with open(ini, "w") as f:
        f.write("[verify]\nposture = public_untrusted\nfrobnicate = 1\n")
    ini2 = os.path.join(tmp, "bad2.ini")
    with open(ini2, "w") as f:
        f.write("[nosuch]\nkey = 1\n")
    bad = [
        (eal("0") + ["--", "--accept-unknown-leader", "--topology-fec", "1"], "lcore 1 is not enabled"),
        (eal("0,1") + ["--", "--accept-unknown-leader", "--topology-extract", "0,1"], "extract and dispatch run as one"),
        (eal("0") + ["--", "--accept-unknown-leader", "--ring-rx-fec-size", "1000"], "[ring.rx_fec] size"),
        (eal("0") + ["--", "--accept-unknown-leader", "--ring-extract-dispatch-on-full", "drop"],
         "[ring.extract_dispatch] on_full = drop"),
        (eal("0") + ["--", "--accept-unknown-leader", "--ring-rx-fec-on-full", "block"], "[ring.rx_fec] on_full = block"),
        (eal("0,1") + ["--", "--accept-unknown-leader", "--topology-rx", "0,1", "--ring-rx-fec-mode", "sp_sc"],
         "[ring.rx_fec] mode = sp_sc"),
        (eal("0") + ["--", "--accept-unknown-leader", "--topology-rx", "0,x"], "[topology] rx"),
        (["--", "--config", ini], "unknown key 'frobnicate' in section [verify]"),
        (["--", "--config", ini2], "unknown key 'key' in section [nosuch]"),
        (["--", "--config", os.path.join(tmp, "none.ini")], "cannot read"),
        (["--", "--accept-unknown-leader", "--plugins", "nosuch"], "'nosuch' is not compiled in"),
        (["--", "--accept-unknown-leader", "--plugin-opt", "nosuch.path=x"], "no plugin 'nosuch'"),
        (["--", "--accept-unknown-leader", "--driver", "carrier-pigeon"], "[input] driver"),
        (["--", "--accept-unknown-leader", "--dedupe-capacity", "1000"], "not a power of two"),
        (eal("0") + ["--", "--accept-unknown-leader", "--plugin-opt", "txlog.vote=maybe"], "plugin txlog"),
        (eal("0") + ["--", "--accept-unknown-leader", "--driver", "udp", "--udp-bind", "10.255.255.1"],
         "[udp]"),
        (eal("0") + ["--", "--accept-unknown-leader", "--prometheus", "256.0.0.1:1"], "--prometheus"),
    ]
    for args, msg in bad:
        p = subprocess.run([sofd, *args], capture_output=True, text=True, timeout=60)
        check(p.returncode == 2 and msg in p.stderr,
              f"bad {args[-2:]}: exit 2 and '{msg}' (rc {p.returncode}, {p.stderr[-300:]!r})")
    p = subprocess.run([sofd, "--", "--print-config", "--accept-unknown-leader", "--burst", "64"],
                       capture_output=True, text=True)
    check(p.returncode == 0 and "burst = 64    ; flag" in p.stdout and "[ring.rx_fec]" in p.stdout,
          "--print-config shows values and their origin")
    p = subprocess.run([sofd, "--help"], capture_output=True, text=True)
    check(p.returncode == 0 and "--topology-rx" in p.stdout and "--ring-fec-extract-on-full" in p.stdout,
          "--help lists every key's flag")

sof_check.cleanup_runtime()

print(f"sofd roles: {sof_check.checks} checks, {sof_check.failures} failed", file=sys.stderr)
sys.exit(1 if sof_check.failures or not sof_check.checks else 0)
