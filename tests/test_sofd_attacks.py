#!/usr/bin/env python3
"""Hostile and unlucky input against sofd (issue #17), each replayed on a
net_pcap vdev (or the UDP driver) and checked against sof-gen's ground
truth:

- one shred for a far-ahead slot (10^12 under --accept-unknown-leader,
  2^64-1 under the trusted posture), first and again mid-stream;
- one genuine shred from each of 32 future slots sent before the real
  slots (verified and trusted postures), and shreds a future slot's leader
  signed for slot 5000;
- a copy of every third shred with one signature bit flipped: no ed25519
  more than the clean run, every flip counted;
- datagrams over 2,048 bytes and a socket whose receive buffer overflows
  while sofd is stopped (UDP driver): every datagram sent is received or
  counted as lost before sofd;
- 64 clients dribbling a request byte by byte at the metrics endpoint while
  a normal scrape succeeds;
- two rx queues with packets dealt round robin, trusted posture, 32 of 64
  shreds lost per set: every transaction out, nothing refused for room.

Every run must deliver exactly the truth's transactions (plus, where
future slots sent a complete batch in one shred, exactly those) and keep
every received packet in one counter.

usage: test_sofd_attacks.py SOF_GEN [SOFD]   (exit 77, skipped, without SOFD)
"""
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

import sof_check
from sof_check import check

if len(sys.argv) < 3 or not sys.argv[2]:
    print("sofd was not built (DPDK not found): skipping", file=sys.stderr)
    sys.exit(77)
gen, sofd = sys.argv[1], sys.argv[2]

COMMON = ["--txns-per-slot", "120", "--leaders", "3", "--leader-rotation", "2", "--shred-version", "7",
          "-s", "21"]
TRUSTED = ["--posture", "trusted_raw_shred_provider"]


free_port = sof_check.free_port
runs = 0


def run_pcap(tmp, name, pcap, sched, *extra, lcores="0"):
    global runs
    runs += 1
    txlog = os.path.join(tmp, f"run{runs}.txlog")
    p = subprocess.run([sofd, *sof_check.eal("atk", lcores, pcap), "--", "--leader-schedule", sched,
                        "--shred-version", "7", "--udp-port", "8001", "--idle-exit-ms", "500",
                        "--txlog", txlog, *extra], capture_output=True, text=True, timeout=180)
    s = sof_check.summary_of(p.stderr)
    check(bool(s), f"{name}: a summary on stderr ({p.stderr[-400:]})")
    return p.returncode, sof_check.txs_of(sof_check.read_lines(txlog)), s, p.stderr


def merged_schedule(tmp, name, *paths):
    """One getLeaderSchedule JSON naming the slots of several."""
    out = {}
    for p in paths:
        for k, v in json.load(open(p)).items():
            out.setdefault(k, []).extend(v)
    path = os.path.join(tmp, name + ".json")
    json.dump(out, open(path, "w"))
    return path


def with_slot(frame, slot):
    off = sof_check.udp_payload_off(frame)
    pl = bytearray(frame[off:])
    struct.pack_into("<Q", pl, 65, slot)
    return sof_check.with_payload(frame, bytes(pl))


def flip_sig_bit(frame, bit):
    off = sof_check.udp_payload_off(frame)
    pl = bytearray(frame[off:])
    pl[(bit // 8) % 64] ^= 1 << (bit % 8)
    return sof_check.with_payload(frame, bytes(pl))


def slot_of(frame):
    off = sof_check.udp_payload_off(frame)
    return struct.unpack_from("<Q", frame, off + 65)[0]


def first_per_slot(frames, n):
    """The first frame of each slot (its data shred 0), n slots."""
    seen, out = set(), []
    for h, d in frames:
        s = slot_of(d)
        if s not in seen:
            seen.add(s)
            out.append((h, d))
    return out[:n]


def one_shred_batches(recs):
    """Transactions of batches a single shred 0 completes (a future slot's
    first shred delivers them on its own)."""
    sets = {(r["slot"], r["startIndex"]) for r in recs
            if r["type"] == "dataset" and r["startIndex"] == 0 and r["endIndex"] == 0}
    return sorted((r["slot"], r["signature"], r["kind"]) for r in recs
                  if r["type"] == "transaction" and any(r["slot"] == s for s, _ in sets))


def expect(name, rc, txs, s, want, frames, err):
    check(rc == 0, f"{name}: exit 0 (rc {rc}: {err[-300:]})")
    check(txs == want, f"{name}: transactions equal the truth ({len(txs)} vs {len(want)})")
    sof_check.balanced(name, s, frames)


with tempfile.TemporaryDirectory() as tmp:
    real, rsched, rrecs = sof_check.generate(gen, tmp, "real", "-n", "6", *COMMON)
    fut, fsched, frecs = sof_check.generate(gen, tmp, "future", "-n", "32", "--start-slot", "200", *COMMON)
    far, farsched, _ = sof_check.generate(gen, tmp, "far", "-n", "2", "--start-slot", "5000", *COMMON)
    sched = merged_schedule(tmp, "all", rsched, fsched, farsched)
    hdr, rframes = sof_check.pcap_frames(real)
    _, fframes = sof_check.pcap_frames(fut)
    _, farframes = sof_check.pcap_frames(far)
    truth = sof_check.truth_txs(rrecs)
    shreds = [(h, d) for h, d in rframes if sof_check.udp_payload_off(d) is not None]
    check(len(shreds) == len(rframes), "the real capture is all shreds")

    # baseline: the clean capture
    rc, txs, base, err = run_pcap(tmp, "clean", real, sched)
    expect("clean", rc, txs, base, truth, len(rframes), err)

    # 1. one far-ahead shred first and mid-stream, under the postures that accept it
    data = next(d for h, d in shreds if len(d) - sof_check.udp_payload_off(d) == 1203)
    for name, slot, extra in (("far-ahead 10^12, accept_unknown_leader", 10**12, ["--accept-unknown-leader"]),
                              ("far-ahead 2^64-1, trusted", 2**64 - 1, TRUSTED),
                              ("far-ahead 10^12, strict", 10**12, [])):
        poison = (rframes[0][0], with_slot(data, slot))
        third = len(rframes) // 3
        frames = [poison] + rframes[:third] + [poison] + rframes[third:]
        path = os.path.join(tmp, "poison.pcap")
        sof_check.write_pcap(path, hdr, frames)
        rc, txs, s, err = run_pcap(tmp, name, path, sched, *extra)
        expect(name, rc, txs, s, truth, len(frames), err)
        check(s["drops"]["stale"] == 0, f"{name}: no genuine shred stale ({s['drops']['stale']})")
        tip = s.get("window", {}).get("tip")
        check(tip is not None and tip < 10, f"{name}: the window's tip stays on the chain ({tip})")

    # 2. one genuine shred from each of 32 future slots before the real slots
    ahead = first_per_slot(fframes, 32)
    check(len(ahead) == 32, "32 future slots")
    extra_txs = one_shred_batches(frecs)
    frames = ahead + rframes
    path = os.path.join(tmp, "future.pcap")
    sof_check.write_pcap(path, hdr, frames)
    for name, extra in (("32 future slots first, verified", []), ("32 future slots first, trusted", TRUSTED)):
        rc, txs, s, err = run_pcap(tmp, "future", path, sched, *extra)
        expect(name, rc, txs, s, sorted(truth + extra_txs), len(frames), err)
        ra = s.get("reassembly", {})
        check(ra.get("old_slot") == 0 and ra.get("no_space") == 0, f"{name}: reassembly refused nothing ({ra})")

    # 3. shreds a future slot's leader signed early (slot 5000), first and mid-stream
    early = first_per_slot(farframes, 2)
    frames = [early[0]] + rframes[:len(rframes) // 2] + [early[1]] + rframes[len(rframes) // 2:]
    path = os.path.join(tmp, "early.pcap")
    sof_check.write_pcap(path, hdr, frames)
    rc, txs, s, err = run_pcap(tmp, "early", path, sched)
    expect("future leader signing early", rc, txs, s, truth, len(frames), err)
    check(s["drops"].get("slot_ahead", 0) >= 1, f"future leader: slot 5000 mid-stream is slot_ahead ({s['drops']})")

    # 4. every third shred again with one signature bit flipped, after it
    frames, flips = [], 0
    for i, f in enumerate(rframes):
        frames.append(f)
        if i % 3 == 0:
            frames.append((f[0], flip_sig_bit(f[1], i * 7)))
            flips += 1
    path = os.path.join(tmp, "flips.pcap")
    sof_check.write_pcap(path, hdr, frames)
    rc, txs, s, err = run_pcap(tmp, "flips", path, sched)
    expect("signature flips", rc, txs, s, truth, len(frames), err)
    check(s["sigVerifies"] == base["sigVerifies"],
          f"signature flips: no ed25519 beyond the clean run ({s['sigVerifies']} vs {base['sigVerifies']})")
    check(s.get("otherSigKnownRoot") == flips, f"signature flips: each counted ({s.get('otherSigKnownRoot')} of {flips})")
    check(s["drops"]["rejected"]["invalid_signature"] == flips, "signature flips: rejected as invalid_signature")

    # 5. UDP: oversize datagrams, then a receive buffer that overflows while sofd is stopped
    payloads = sof_check.udp_payloads(rframes, 8001)
    ini = os.path.join(tmp, "udp.ini")
    open(ini, "w").write("[udp]\nrcvbuf = 262144\n")
    for stopped in (False, True):
        name = "udp, stopped while sending" if stopped else "udp, oversize datagrams"
        port = free_port()
        txlog = os.path.join(tmp, f"udp{int(stopped)}.txlog")
        errf = open(os.path.join(tmp, f"udp{int(stopped)}.err"), "w+")
        small = ["--config", ini] if stopped else []  # a small receive buffer only where it must overflow
        p = subprocess.Popen([sofd, *sof_check.eal("atk", "0"), "--", *small, "--driver", "udp",
                              "--udp-bind", "127.0.0.1", "--udp-listen", str(port), "--leader-schedule", sched,
                              "--shred-version", "7", "--txlog", txlog], stderr=errf, text=True)
        deadline = time.time() + 20
        while time.time() < deadline and "udp input" not in open(errf.name).read():
            time.sleep(0.1)
        time.sleep(0.3)
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sent = 0
        for k in range(3):
            tx.sendto(bytes([k]) * 3000, ("127.0.0.1", port))  # larger than an mbuf
            sent += 1
        if stopped:
            p.send_signal(signal.SIGSTOP)
            time.sleep(0.2)
        for i, pl in enumerate(payloads):
            tx.sendto(pl, ("127.0.0.1", port))
            sent += 1
            if not stopped and i % 64 == 63:
                time.sleep(0.002)
        if stopped:
            p.send_signal(signal.SIGCONT)
        time.sleep(1.5)
        sof_check.interrupt(p, timeout=30)
        err = open(errf.name).read()
        s = sof_check.summary_of(err)
        check(bool(s), f"{name}: a summary ({err[-300:]})")
        if not s:
            continue
        lb = s.get("lostBefore", {})
        lost = lb.get("kernel", 0) + lb.get("unreadAtExit", 0)
        check(s["rxPackets"] + lost == sent,
              f"{name}: received + lost before sofd = sent ({s['rxPackets']} + {lost} vs {sent})")
        check(s["drops"].get("oversize") == 3, f"{name}: 3 oversize datagrams counted ({s['drops'].get('oversize')})")
        check(s["balanced"] is True, f"{name}: every received datagram in one counter")
        if stopped:
            check(lost > 0, f"{name}: the kernel's drops are counted ({lost})")
        else:
            got = sof_check.txs_of(sof_check.read_lines(txlog))
            check(lost == 0 and got == truth,
                  f"{name}: every transaction delivered ({len(got)} of {len(truth)}, lost {lost}; "
                  f"summary {json.dumps({k: s.get(k) for k in ('drops', 'window', 'acceptedBy', 'reassembly')})})")
            check(p.returncode == 0, f"{name}: exit 0 ({p.returncode})")

    # 6. 64 clients dribble a request at the metrics endpoint; a scrape succeeds
    errf = open(os.path.join(tmp, "prom.err"), "w+")
    p = subprocess.Popen([sofd, *sof_check.eal("atk", "0"), "--", "--driver", "udp", "--udp-bind", "127.0.0.1",
                          "--udp-listen", str(free_port()), "--leader-schedule", sched, "--prometheus", "127.0.0.1:0",
                          "--plugins", "none"], stderr=errf, text=True)
    addr = None
    deadline = time.time() + 20
    while time.time() < deadline and not addr:
        m = re.search(r"Prometheus metrics on http://([0-9.]+):(\d+)/metrics", open(errf.name).read())
        addr = (m.group(1), int(m.group(2))) if m else None
        time.sleep(0.1)
    check(addr is not None, "metrics endpoint announced")
    if addr:
        slow = []
        for _ in range(64):
            c = socket.create_connection(addr)
            c.sendall(b"G")
            slow.append(c)
        ok_status = None
        t_end = time.time() + 2.0
        while time.time() < t_end:
            for c in slow:
                try:
                    c.sendall(b"E")
                except OSError:
                    pass
            if ok_status is None and time.time() > t_end - 1.5:
                g = socket.create_connection(addr, timeout=2)
                g.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                resp = b""
                try:
                    while True:
                        chunk = g.recv(65536)
                        if not chunk:
                            break
                        resp += chunk
                except socket.timeout:
                    pass
                g.close()
                ok_status = resp.split(b"\r\n", 1)[0]
                check(b"sof_rx_packets" in resp, "scrape under attack: the body is the metrics")
            time.sleep(0.1)
        check(ok_status == b"HTTP/1.1 200 OK", f"scrape under 64 dribbling clients: 200 ({ok_status})")
        for c in slow:
            c.close()
    p.send_signal(signal.SIGINT)
    try:
        p.wait(timeout=30)
        check(p.returncode == 0, f"metrics run: exit 0 on SIGINT ({p.returncode})")
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        check(False, "metrics run: SIGINT ended sofd within 30 s")

    # 7. load: two rx queues dealt round robin, trusted, 32 of 64 shreds lost per set
    lossy, lsched, lrecs = sof_check.generate(gen, tmp, "lossy", "-n", "8", "--loss-per-set", "32",
                                              "--reorder", "64", *COMMON)
    txlog = os.path.join(tmp, "load.txlog")
    p = subprocess.run([sofd, *sof_check.eal("atk", "0,1"), "--", "--driver", "preload", "--preload", lossy,
                        "--preload-deal", "packet", "--topology-rx", "0,1", "--topology-fec", "0,1",
                        "--topology-extract", "1", "--topology-dispatch", "1", "--topology-plugins", "1",
                        "--leader-schedule", lsched, "--shred-version", "7", "--idle-exit-ms", "500",
                        "--txlog", txlog, *TRUSTED], capture_output=True, text=True, timeout=180)
    s = sof_check.summary_of(p.stderr)
    check(p.returncode == 0, f"load: exit 0 ({p.stderr[-300:]})")
    check(sof_check.txs_of(sof_check.read_lines(txlog)) == sof_check.truth_txs(lrecs),
          "load (2x2packet, trusted, 32/64 lost): every transaction")
    check(s.get("acceptedBy", {}).get("no_room") == 0, f"load: no set refused for room ({s.get('acceptedBy')})")

sof_check.cleanup_runtime()
print(f"sofd_attacks: {sof_check.checks} checks, {sof_check.failures} failed")
sys.exit(1 if sof_check.failures else 0)
