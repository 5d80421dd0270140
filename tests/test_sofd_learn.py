#!/usr/bin/env python3
"""Learned leaders (issue #18): sofd with no leader schedule, only a file of
200 candidate identities (the capture's leaders among them, in shuffled
order), replaying a sof-gen capture on a net_pcap vdev:

- every transaction of the truth is delivered, each slot's leader learned
  (the leaders of nearby slots are tried first), the ed25519 tries per
  learned slot reported;
- the same capture with shreds forged for 40 slots that do not exist
  (inside the slot window): each such slot costs at most
  learn_tries_per_slot checks and is given up, counted; no real slot is
  lost;
- the candidates from getClusterNodes instead of a file (--rpc: a
  JSON-RPC responder written here from Solana's RPC documentation answers
  getClusterNodes with the 200 identities and nothing else): the same;
- --learn-leaders without --leader-candidates or --rpc, or a bad
  candidates file, is refused with a message.

usage: test_sofd_learn.py SOF_GEN [SOFD]   (exit 77, skipped, without SOFD)
"""
import http.server
import json
import os
import random
import threading
import struct
import subprocess
import sys
import tempfile

import sof_check
from sof_check import check

if len(sys.argv) < 3 or not sys.argv[2]:
    print("sofd was not built (DPDK not found): skipping", file=sys.stderr)
    sys.exit(77)
gen, sofd = sys.argv[1], sys.argv[2]
START, SLOTS, LEADERS = 1000, 12, 200


b58 = sof_check.b58
def run(tmp, name, pcap, cands, *extra):
    txlog = os.path.join(tmp, name + ".txlog")
    p = subprocess.run([sofd, *sof_check.eal("learn", "0", pcap), "--", "--learn-leaders", "--leader-candidates",
                        cands, "--shred-version", "7", "--udp-port", "8001", "--idle-exit-ms", "500",
                        "--txlog", txlog, *extra], capture_output=True, text=True, timeout=180)
    return p.returncode, sof_check.txs_of(sof_check.read_lines(txlog)), sof_check.summary_of(p.stderr), p.stderr


with tempfile.TemporaryDirectory() as tmp:
    keyf = os.path.join(tmp, "leaders.key")
    pcap, _, recs = sof_check.generate(gen, tmp, "learn", "-n", str(SLOTS), "--start-slot", str(START),
                                       "--leaders", str(LEADERS), "--leader-rotation", "4", "--txns-per-slot", "60",
                                       "--shred-version", "7", "-s", "31", "--leader-key", keyf)
    raw = open(keyf, "rb").read()
    check(len(raw) == 64 * LEADERS, f"{LEADERS} key pairs written")
    pubs = [b58(raw[64 * i + 32:64 * i + 64]) for i in range(LEADERS)]
    random.Random(5).shuffle(pubs)
    cands = os.path.join(tmp, "candidates.txt")
    open(cands, "w").write("# the cluster's identities\n" + "\n".join(pubs) + "\n")
    truth = sof_check.truth_txs(recs)
    produced = {r["slot"] for r in recs if r["type"] == "slot" and not r.get("skipped")}
    hdr, frames = sof_check.pcap_frames(pcap)

    # 1. no schedule: every transaction, every slot learned
    rc, txs, s, err = run(tmp, "clean", pcap, cands)
    check(rc == 0, f"learned: exit 0 ({err[-300:]})")
    check(txs == truth, f"learned: transactions equal the truth ({len(txs)} vs {len(truth)})")
    ln = s.get("learned", {})
    check(ln.get("slots") == len(produced), f"learned: every slot's leader learned ({ln} vs {len(produced)} slots)")
    check(ln.get("givenUp") == 0, "learned: no slot given up")
    # a slot's first shreds wait for its leader to be found (16 tries each):
    # at most ceil(200 / 16) of them per leader rotation, and FEC covers them
    unk = s.get("drops", {}).get("rejected", {}).get("unknown_leader", -1)
    check(0 <= unk <= 13 * ((len(produced) + 3) // 4), f"learned: unknown_leader only while searching ({unk})")
    per_slot = ln.get("tries", 0) / max(1, ln.get("slots", 1))
    print(f"learned leaders: {ln.get('tries')} ed25519 tries for {ln.get('slots')} slots "
          f"({per_slot:.1f} per learned slot, {LEADERS} candidates)", file=sys.stderr)
    check(ln.get("tries", 0) <= LEADERS * len(produced), "learned: tries within candidates x slots")
    sof_check.balanced("learned", s, len(frames))

    # 2. forged shreds for 40 slots that do not exist, after the window formed
    rng = random.Random(9)
    ghost = rng.sample([sl for sl in range(START - 200, START) if sl not in produced], 40)  # inside the window
    data = [f for f in frames if len(f[1]) - sof_check.udp_payload_off(f[1]) == 1203]
    forged = []
    for sl in ghost:
        for k in range(14):  # 14 x 16 tries: every candidate tried, the slot given up
            h, d = rng.choice(data)
            off = sof_check.udp_payload_off(d)
            pl = bytearray(d[off:])
            struct.pack_into("<Q", pl, 65, sl)
            forged.append((h, sof_check.with_payload(d, bytes(pl))))
    cut = 300
    mixed = frames[:cut] + forged + frames[cut:]
    path = os.path.join(tmp, "forged.pcap")
    sof_check.write_pcap(path, hdr, mixed)
    rc, txs, s, err = run(tmp, "forged", path, cands)
    check(rc == 0, f"forged slots: exit 0 ({err[-300:]})")
    check(txs == truth, f"forged slots: every real transaction ({len(txs)} vs {len(truth)})")
    ln = s.get("learned", {})
    check(ln.get("slots") == len(produced), f"forged slots: every real slot learned ({ln})")
    gave_up = ln.get("givenUp", -1)
    check(gave_up == len(ghost), f"forged slots: every ghost slot given up ({gave_up} of {len(ghost)})")
    check(ln.get("tries", 0) <= 256 * (len(produced) + len(ghost)),
          f"forged slots: tries bounded by learn_tries_per_slot per slot ({ln.get('tries')})")
    sof_check.balanced("forged slots", s, len(mixed))

    # 3. candidates from getClusterNodes
    nodes = [{"pubkey": k, "gossip": "10.0.0.%d:8001" % (i % 250), "shredVersion": 7, "version": "2.1.0"}
             for i, k in enumerate(pubs)]

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if req.get("method") == "getClusterNodes":
                out = {"jsonrpc": "2.0", "result": nodes, "id": req["id"]}
            else:
                out = {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": req["id"]}
            body = json.dumps(out).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    txlog = os.path.join(tmp, "rpc.txlog")
    p = subprocess.run([sofd, *sof_check.eal("learn", "0", pcap), "--", "--learn-leaders", "--rpc",
                        f"http://127.0.0.1:{srv.server_address[1]}", "--shred-version", "7", "--udp-port", "8001",
                        "--idle-exit-ms", "500", "--txlog", txlog], capture_output=True, text=True, timeout=180)
    srv.shutdown()
    s = sof_check.summary_of(p.stderr)
    check(f"{LEADERS} candidate identities (getClusterNodes" in p.stderr, f"rpc candidates: announced ({p.stderr[-300:]})")
    check(sof_check.txs_of(sof_check.read_lines(txlog)) == truth, "rpc candidates: transactions equal the truth")
    check(s.get("learned", {}).get("slots") == len(produced), f"rpc candidates: every slot learned ({s.get('learned')})")

    # 4. refused invocations
    p = subprocess.run([sofd, *sof_check.eal("learn", "0", pcap), "--", "--learn-leaders"],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode != 0 and "needs leader_candidates (--leader-candidates FILE) or rpc_url" in p.stderr,
          f"--learn-leaders alone refused ({p.stderr[-200:]})")
    bad = os.path.join(tmp, "bad.txt")
    open(bad, "w").write(pubs[0] + "\nnot-a-key!\n")
    p = subprocess.run([sofd, *sof_check.eal("learn", "0", pcap), "--", "--learn-leaders", "--leader-candidates", bad],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode != 0 and f"{bad}:2:" in p.stderr, f"a bad candidates line named ({p.stderr[-200:]})")

sof_check.cleanup_runtime()
print(f"sofd_learn: {sof_check.checks} checks, {sof_check.failures} failed")
sys.exit(1 if sof_check.failures else 0)
