#!/usr/bin/env python3
"""sofd's plugin outputs (issues #17, #18) against sof-gen's ground truth:

- txlog to a FIFO whose reader never reads: SIGTERM still ends sofd within
  the drain timeout (plus a margin), exit 1, and the lines the reader then
  finds plus the lines reported lost are exactly the truth's transactions;
- --txlog /dev/full: exit 1, every transaction counted lost;
- stdout into `head -1` (the reader goes away): sofd is not killed by
  SIGPIPE, exits 1 with the lost lines counted;
- SIGHUP during a run (UDP driver, the capture sent in two halves): the
  file renamed between the halves, SIGHUP, the second half goes to a new
  file at the original path; both files together hold every transaction
  of the truth once.

usage: test_sofd_output.py SOF_GEN [SOFD]   (exit 77, skipped, without SOFD)
"""
import json
import os
import re
import shutil
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
def eal(lcores="0", pcap=None):
    return sof_check.eal("out", lcores, pcap)


def lost_of(err):
    m = re.search(r"sofd: plugin output lost (\d+) lines", err)
    return int(m.group(1)) if m else None


def truth_txs(recs):
    return sorted((r["slot"], r["signature"]) for r in recs if r["type"] == "transaction")


def txs_of(path):
    if not os.path.exists(path):
        return []
    return sorted((l["slot"], l["signature"]) for l in map(json.loads, open(path)) if l["type"] == "transaction")


with tempfile.TemporaryDirectory() as tmp:
    common = ["-n", "6", "--txns-per-slot", "120", "--leaders", "3", "--leader-rotation", "2",
              "--shred-version", "7", "-s", "21"]
    pcap, sched, recs = sof_check.generate(gen, tmp, "out", *common)
    want = truth_txs(recs)
    n_tx = len(want)
    check(n_tx > 300, f"the capture has transactions ({n_tx})")
    app = ["--leader-schedule", sched, "--shred-version", "7", "--udp-port", "8001"]

    # 1. a FIFO nobody reads: SIGTERM ends sofd by the drain timeout
    ini = os.path.join(tmp, "drain.ini")
    with open(ini, "w") as f:
        f.write("[run]\ndrain_timeout_ms = 1000\n")
    fifo = os.path.join(tmp, "txlog.fifo")
    os.mkfifo(fifo)
    rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader that never reads
    p = subprocess.Popen([sofd, *eal("0", pcap), "--", "--config", ini, *app, "--txlog", fifo,
                          "--plugin-opt", "txlog.queue_bytes=65536", "--plugin-opt", "txlog.flush_ms=0"],
                         stderr=subprocess.PIPE, text=True)
    time.sleep(3)  # the replay is over; the FIFO and the queue are full
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    try:
        _, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
        err = "(hung: killed) " + err
    took = time.monotonic() - t0
    check(took < 1.0 + 4.0, f"stalled FIFO: SIGTERM ends sofd within the drain timeout + margin ({took:.2f} s)")
    check(p.returncode == 1, f"stalled FIFO: exit 1 for lost output (rc {p.returncode}: {err[-400:]})")
    got = b""
    while True:
        try:
            b = os.read(rfd, 65536)
        except BlockingIOError:
            break
        if not b:
            break
        got += b
    os.close(rfd)
    read_lines = got.count(b"\n")
    check(got.endswith(b"\n") and all(json.loads(l)["type"] == "transaction" for l in got.splitlines()),
          "stalled FIFO: the reader finds whole lines only")
    lost = lost_of(err)
    check(lost is not None and lost > 0, f"stalled FIFO: the loss is reported ({lost})")
    check(read_lines + (lost or 0) == n_tx,
          f"stalled FIFO: lines read + lost = the truth's transactions ({read_lines} + {lost} vs {n_tx})")
    check("still queued at the shutdown deadline" in err, "stalled FIFO: says lines were left at the deadline")

    # 2. /dev/full: every line lost, exit 1
    if os.access("/dev/full", os.W_OK):
        p = subprocess.run([sofd, *eal("0", pcap), "--", *app, "--idle-exit-ms", "500", "--txlog", "/dev/full"],
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 1, f"/dev/full: exit 1 (rc {p.returncode}: {p.stderr[-300:]})")
        check(f"writing /dev/full failed: No space left on device ({n_tx} of {n_tx} lines lost)" in p.stderr,
              f"/dev/full: all {n_tx} lines counted lost ({p.stderr[-300:]})")
        check(lost_of(p.stderr) == n_tx, f"/dev/full: sofd reports {n_tx} lines lost ({lost_of(p.stderr)})")

    # 3. stdout into head -1: the reader leaves, sofd is not killed by SIGPIPE
    p = subprocess.Popen([sofd, *eal("0", pcap), "--", *app, "--idle-exit-ms", "1500", "--txlog", "-",
                          "--plugin-opt", "txlog.flush_ms=0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    head = subprocess.Popen(["head", "-1"], stdin=p.stdout, stdout=subprocess.PIPE)
    p.stdout.close()
    first, _ = head.communicate(timeout=60)
    _, err = p.communicate(timeout=60)
    err = err.decode(errors="replace")
    check(json.loads(first)["type"] == "transaction", "head -1: got a transaction line")
    check(p.returncode == 1, f"head -1: exit 1, not death by SIGPIPE (rc {p.returncode}: {err[-300:]})")
    lost = lost_of(err)
    check("writing stdout failed: Broken pipe" in err, "head -1: the broken pipe is reported")
    check(lost is not None and 0 < lost < n_tx, f"head -1: lost lines counted ({lost} of {n_tx})")

    # 4. SIGHUP reopens the file (logrotate create)
    hdr_frames = []
    with open(pcap, "rb") as f:
        f.read(24)
        while True:
            h = f.read(16)
            if len(h) < 16:
                break
            hdr_frames.append(f.read(struct.unpack("<IIII", h)[2]))
    payloads = []
    for d in hdr_frames:
        if len(d) >= 42 and d[12:14] == b"\x08\x00" and d[23] == 17:
            udp = 14 + (d[14] & 15) * 4
            if struct.unpack(">H", d[udp + 2:udp + 4])[0] == 8001:
                payloads.append(d[udp + 8:])
    sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sk.bind(("127.0.0.1", 0))
    port = sk.getsockname()[1]
    sk.close()
    txlog = os.path.join(tmp, "hup.txlog")
    rotated = txlog + ".1"
    p = subprocess.Popen([sofd, *eal("0"), "--", "--driver", "udp", "--udp-bind", "127.0.0.1",
                          "--udp-listen", str(port), "--leader-schedule", sched, "--shred-version", "7",
                          "--txlog", txlog, "--plugin-opt", "txlog.flush_ms=20"],
                         stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def send(part):
        for i, pl in enumerate(part):
            tx.sendto(pl, ("127.0.0.1", port))
            if i % 64 == 63:
                time.sleep(0.002)

    half = len(payloads) // 2
    send(payloads[:half])
    time.sleep(1.0)
    os.rename(txlog, rotated)
    p.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    send(payloads[half:])
    time.sleep(1.5)
    alive = p.poll() is None
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    check(alive, "SIGHUP: sofd still running after SIGHUP")
    check(p.returncode == 0, f"SIGHUP: exit 0 ({p.returncode}: {err[-400:]})")
    old, new = txs_of(rotated), txs_of(txlog)
    check(len(old) > 0 and len(new) > 0, f"SIGHUP: lines in both files ({len(old)} rotated, {len(new)} new)")
    check(len(old) + len(new) == n_tx, f"SIGHUP: no line lost ({len(old)} + {len(new)} vs {n_tx})")
    check(sorted(old + new) == want, "SIGHUP: both files together are the truth's transactions, once each")

# EAL leaves an empty runtime directory per file prefix: remove ours.
sof_check.cleanup_runtime()

print(f"sofd_output: {sof_check.checks} checks, {sof_check.failures} failed", file=sys.stderr)
sys.exit(1 if sof_check.failures or not sof_check.checks else 0)
