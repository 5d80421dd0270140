#!/usr/bin/env python3
"""sofd across epoch boundaries (issue #18): one sofd run sees slots of
three epochs and knows every slot's leader, whether the schedules come
from a JSON-RPC endpoint or from files that appear while it runs.

The capture: sof-gen --slots-per-epoch 8 -n 24 (epochs 0, 1 and 2, each
with its own leader order; one schedule file per epoch). sofd runs with
the UDP driver on loopback so the capture is sent only once the schedules
are in (the test waits for sofd's log lines, then sends every datagram).

The JSON-RPC endpoint is a responder written here (http.server on
127.0.0.1) from Solana's published RPC documentation: getClusterNodes
(two nodes at shred version 7, one at 9), getEpochSchedule,
getEpochInfo, getLeaderSchedule ([slot] or [null] / no params: the epoch
of that slot; null when it has no schedule), -32601 for anything else,
every answer {"jsonrpc":"2.0","result":...,"id":N}. It shares no code
with sofd. Its cluster is at slot 9 (epoch 1): sofd must fetch epoch 1,
the next (2) and the previous (0).

1. rpc (with --shred-version auto: 7, the majority's): every transaction
   equals the truth, zero unknown_leader, the
   RPC counters (Prometheus) show three epochs loaded, no failure; once the
   tip is in epoch 2, sofd asks for epoch 3 (null here: counted as not yet).
2. rpc down first: the responder starts 3 s after sofd; sofd keeps running,
   retries with backoff (failures counted, one log line for the outage and
   one for the recovery, not one per retry), then loads the epochs; same
   delivery checks.
4. SIGHUP under load: epoch 0 streams in while the txlog is renamed,
   epoch 1's file corrected in place and SIGHUP sent: no datagram lost,
   the two txlog files together are the truth once each, epoch 1 verifies.
2b. rpc down across a boundary: epochs 0 and 1 loaded (2 not known yet),
   the responder goes away, the shreds cross into epoch 1, epoch 2 is asked
   for and fails (counted, sofd runs on); the responder comes back knowing
   epoch 2, which arrives before its shreds: every transaction delivered.
3. files: epoch 0's file at start, epoch 1's and 2's missing (watched).
   Epoch 1's appears with the wrong leaders (mtime poll loads it); shreds
   of slot 16 sent before epoch 2 is known are unknown_leader and draw one
   warning naming slot 16 and the loaded ranges; epoch 2's file appears
   (mtime poll); epoch 1's is corrected in place with its size and mtime
   kept, so only SIGHUP can pick it up; then the whole capture: every
   transaction delivered, no invalid signature (the SIGHUP re-read took),
   the only unknown_leader shreds are those sent early.

Usage: test_sofd_epochs.py SOF_GEN SOFD
"""
import http.server
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
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sof_check  # noqa: E402
from sof_check import check, eal, generate, read_lines, summary_of, truth_txs, txs_of, udp_payloads, pcap_frames  # noqa: E402

SPE = 8  # slots per epoch
CLUSTER_SLOT = 9


class Rpc:
    """A Solana JSON-RPC responder for the leader schedule calls."""

    def __init__(self, scheds, port=0):
        self.scheds = scheds  # epoch -> schedule dict
        self.calls = []
        rpc = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                try:
                    req = json.loads(self.rfile.read(n))
                except ValueError:
                    return self.reply({"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"},
                                       "id": None})
                rid = req.get("id")
                m = req.get("method")
                params = req.get("params") or []
                rpc.calls.append((m, params))
                if req.get("jsonrpc") != "2.0":
                    return self.reply({"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid request"},
                                       "id": rid})
                if m == "getEpochSchedule":
                    res = {"slotsPerEpoch": SPE, "leaderScheduleSlotOffset": SPE, "warmup": False,
                           "firstNormalEpoch": 0, "firstNormalSlot": 0}
                elif m == "getEpochInfo":
                    res = {"absoluteSlot": CLUSTER_SLOT, "blockHeight": CLUSTER_SLOT, "epoch": CLUSTER_SLOT // SPE,
                           "slotIndex": CLUSTER_SLOT % SPE, "slotsInEpoch": SPE, "transactionCount": 0}
                elif m == "getClusterNodes":
                    res = [{"pubkey": "A", "gossip": "127.0.0.1:8001", "shredVersion": 7, "version": "1.18.0"},
                           {"pubkey": "B", "gossip": "127.0.0.1:8002", "shredVersion": 7, "version": "1.18.0"},
                           {"pubkey": "C", "gossip": "127.0.0.1:8003", "shredVersion": 9, "version": "1.17.0"}]
                elif m == "getLeaderSchedule":
                    slot = params[0] if params and isinstance(params[0], int) else CLUSTER_SLOT
                    res = rpc.scheds.get(slot // SPE)  # None: null, as for an unknown epoch
                else:
                    return self.reply({"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"},
                                       "id": rid})
                self.reply({"jsonrpc": "2.0", "result": res, "id": rid})

            def reply(self, obj):
                body = json.dumps(obj).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
        self.port = self.srv.server_address[1]
        self.th = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.th.start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


free_port = sof_check.free_port
class Sofd:
    """sofd with the UDP driver; its stderr collected by a thread."""

    def __init__(self, sofd, tag, args, version="7", telemetry=False):
        self.port = free_port()
        self.txlog = os.path.join(tmp, tag + ".txlog")
        ea = eal(tag, telemetry=telemetry)
        self.prefix = next(a.split("=", 1)[1] for a in ea if a.startswith("--file-prefix="))
        self.p = subprocess.Popen([sofd, *ea, "--", "--driver", "udp", "--udp-bind",
                                   "127.0.0.1", "--udp-listen", str(self.port), "--shred-version", version,
                                   "--txlog", self.txlog, "--prometheus", "127.0.0.1:0", *args],
                                  stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.th = threading.Thread(target=self._read, daemon=True)
        self.th.start()

    def _read(self):
        for l in self.p.stderr:
            self.lines.append(l)

    def wait_for(self, pattern, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for l in list(self.lines):
                m = re.search(pattern, l)
                if m:
                    return m
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        return None

    def count(self, pattern):
        return sum(1 for l in list(self.lines) if re.search(pattern, l))

    def metrics(self):
        m = self.wait_for(r"Prometheus metrics on (http://\S+)")
        if not m:
            return {}
        body = urllib.request.urlopen(m.group(1), timeout=10).read().decode()
        # counters carry Prometheus' _total suffix; keyed here by the
        # counter table's names (as /sof/stats has them)
        return {re.sub(r"_total$", "", k): int(v) for k, v in re.findall(r"^sof_(\w+) (\d+)$", body, re.M)}

    def telemetry(self, cmd):
        """One rte_telemetry v2 command's answer (dict), or None."""
        run = "/var/run/dpdk" if os.geteuid() == 0 else os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk")
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.settimeout(5)
            s.connect(os.path.join(run, self.prefix, "dpdk_telemetry.v2"))
            s.recv(4096)
            s.send(cmd.encode())
            out = json.loads(s.recv(1 << 16).decode()).get(cmd)
            s.close()
            return out
        except (OSError, ValueError):
            return None

    def send(self, payloads):
        sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i, pl in enumerate(payloads):
            sk.sendto(pl, ("127.0.0.1", self.port))
            if i % 64 == 63:
                time.sleep(0.002)
        sk.close()

    def stop(self):
        time.sleep(1.5)
        self.p.send_signal(signal.SIGINT)
        self.p.wait(timeout=60)
        self.th.join(timeout=10)
        return summary_of("".join(self.lines))

    def log(self):
        return "".join(self.lines)[-1500:]


def delivered(name, d, s, payloads, recs, unknown=0):
    check(d.p.returncode == 0, f"{name}: exit 0 ({d.log()})")
    check(s.get("rxPackets") == len(payloads), f"{name}: every datagram received ({s.get('rxPackets')} "
                                               f"of {len(payloads)})")
    v = s.get("verify", {})
    check(v.get("unknown_leader") == unknown, f"{name}: {unknown} unknown_leader ({v})")
    by_epoch = s.get("unknownLeaderByEpoch", {})
    check(sum(by_epoch.values()) == unknown, f"{name}: unknown_leader counted by epoch ({by_epoch})")
    check(v.get("invalid_signature") == 0, f"{name}: no invalid signature ({v})")
    got, want = txs_of(read_lines(d.txlog)), truth_txs(recs)
    check(len(want) > 0 and got == want, f"{name}: every transaction equals the truth ({len(got)} of {len(want)})")
    check(s.get("balanced") is True, f"{name}: sofd's counters add up")


def slot_of(payload):
    return struct.unpack_from("<Q", payload, 65)[0]


if len(sys.argv) < 3:
    print("usage: test_sofd_epochs.py SOF_GEN SOFD", file=sys.stderr)
    sys.exit(77)
gen, sofd = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp(prefix="sof-epochs-")
try:
    pcap, sched, recs = generate(gen, tmp, "ep", "--slots-per-epoch", str(SPE), "-n", "24", "--start-slot", "0",
                                 "--leaders", "3", "--leader-rotation", "2", "--shred-version", "7",
                                 "--txns-per-slot", "32")
    files = [os.path.join(tmp, f"ep.epoch{e}.json") for e in range(3)]
    check(all(os.path.exists(f) for f in files), "sof-gen: one schedule file per epoch")
    scheds = {e: json.load(open(f)) for e, f in enumerate(files)}
    check(scheds[0] != scheds[1] and scheds[1] != scheds[2], "sof-gen: each epoch has its own leader order")
    slot_leader = {r["slot"]: r["leader"] for r in recs if r["type"] == "slot"}
    for e in range(3):
        for key, offs in scheds[e].items():
            check(all(slot_leader.get(e * SPE + o) == key for o in offs),
                  f"sof-gen: epoch {e}'s file names the truth's leaders")
    _, frames = pcap_frames(pcap)
    payloads = udp_payloads(frames, 8001)
    check(len(payloads) == len(frames) and {slot_of(p) // SPE for p in payloads} == {0, 1, 2},
          "the capture crosses two epoch boundaries")

    # 1. RPC
    rpc = Rpc(scheds)
    d = Sofd(sofd, "rpc", ["--rpc", f"http://127.0.0.1:{rpc.port}", "--epoch-keep-slots", "4"], version="auto")
    check(d.wait_for(r"shred_version = auto: 7 \(2 of 3 cluster nodes") is not None,
          f"rpc: shred_version = auto takes the version most cluster nodes carry ({d.log()})")
    ok = all(d.wait_for(rf"leaders: epoch {e} \(slots {e * SPE}\.\.{e * SPE + SPE - 1}, 8 named") for e in range(3))
    check(ok, f"rpc: epochs 0 (previous), 1 (current) and 2 (next) loaded ({d.log()})")
    d.send(payloads)
    time.sleep(1.0)
    m = d.metrics()
    s = d.stop()
    delivered("rpc", d, s, payloads, recs)
    # the tip at slot 23 is more than 4 slots past epochs 0 (..7) and 1 (..15)
    check(m.get("leaders_epochs_loaded") == 3 and m.get("leaders_epochs_dropped") == 2 and m.get("leaders_epochs") == 1,
          f"rpc: counters: 3 epochs loaded, 0 and 1 dropped once the tip is past them, 1 published ({ {k: v for k, v in m.items() if 'leaders_' in k} })")
    check(m.get("leaders_rpc_fetches_failed") == 0 and m.get("leaders_rpc_fetches_ok", 0) >= 6,
          f"rpc: counters: fetches ok, none failed ({ {k: v for k, v in m.items() if 'leaders_' in k} })")
    methods = [c[0] for c in rpc.calls]
    ls = [c[1][0] for c in rpc.calls if c[0] == "getLeaderSchedule"]
    check(methods[:3] == ["getClusterNodes", "getEpochSchedule", "getEpochInfo"] and ls[:3] == [8, 16, 0],
          f"rpc: getClusterNodes (shred version), getEpochSchedule, getEpochInfo, then the current (8), next (16) and previous (0) "
          f"epochs' schedules by first slot ({rpc.calls})")
    # once the shreds' tip entered epoch 2, epoch 3 is the next: asked for,
    # null (this cluster has no schedule for it yet), counted, asked again later
    check(len(ls) >= 4 and set(ls[3:]) == {24} and m.get("leaders_rpc_not_yet", 0) >= 1,
          f"rpc: the tip in epoch 2 makes epoch 3 the next one to fetch (null: not yet) ({ls}, {m.get('leaders_rpc_not_yet')})")
    rpc.close()

    # 2. RPC down for the first seconds
    rport = free_port(socket.SOCK_STREAM)
    d = Sofd(sofd, "late", ["--rpc", f"http://127.0.0.1:{rport}"])
    check(d.wait_for(r"retrying with backoff; the data path runs on") is not None,
          f"late: the outage is logged ({d.log()})")
    time.sleep(3.0)
    check(d.p.poll() is None, "late: sofd keeps running while the RPC endpoint is down")
    m0 = d.metrics()
    rpc = Rpc(scheds, rport)
    ok = all(d.wait_for(rf"leaders: epoch {e} \(slots", timeout=60) for e in range(3))
    check(ok, f"late: the schedules arrive once the endpoint is up ({d.log()})")
    d.send(payloads)
    time.sleep(1.0)
    m = d.metrics()
    s = d.stop()
    delivered("late", d, s, payloads, recs)
    check(m0.get("leaders_rpc_fetches_failed", 0) >= 2 and m0.get("leaders_epochs", 1) == 0,
          f"late: failed fetches counted while down, no epoch ({ {k: v for k, v in m0.items() if 'leaders_' in k} })")
    check(m.get("leaders_epochs_loaded") == 3 and m.get("leaders_rpc_fetches_failed") == m0.get("leaders_rpc_fetches_failed"),
          f"late: 3 epochs loaded, no failure after recovery ({ {k: v for k, v in m.items() if 'leaders_' in k} })")
    check(d.count(r"retrying with backoff") == 1 and d.count(r"answers again") == 1,
          f"late: one line for the outage, one for the recovery, none per retry ({d.log()})")
    rpc.close()

    # 2b. RPC down across an epoch boundary: epochs 0 and 1 loaded (2 not
    # known yet), the endpoint goes away, the shreds cross into epoch 1 (the
    # next one, 2, is asked for and fails: counted, the data path goes on),
    # the endpoint comes back knowing epoch 2, which arrives late but before
    # its shreds
    rport = free_port(socket.SOCK_STREAM)
    rpc = Rpc({0: scheds[0], 1: scheds[1]}, rport)
    d = Sofd(sofd, "boundary", ["--rpc", f"http://127.0.0.1:{rport}"])
    ok = all(d.wait_for(rf"leaders: epoch {e} \(slots", timeout=60) for e in range(2))
    check(ok, f"boundary: epochs 0 and 1 loaded ({d.log()})")
    rpc.close()
    d.send([p for p in payloads if slot_of(p) < 2 * SPE])
    time.sleep(6.5)  # a "not yet" epoch is asked for again after 5 s
    m0 = d.metrics()
    check(d.p.poll() is None and m0.get("leaders_rpc_fetches_failed", 0) >= 1,
          f"boundary: epoch 2 asked for while the endpoint is down, failures counted ({ {k: v for k, v in m0.items() if 'leaders_' in k} })")
    early = [p for p in payloads if slot_of(p) == 2 * SPE + 1][:3]  # epoch 2, not loaded yet
    d.send(early)
    time.sleep(0.5)
    rpc = Rpc(scheds, rport)
    check(d.wait_for(r"leaders: epoch 2 \(slots", timeout=60) is not None,
          f"boundary: epoch 2 arrives once the endpoint is back ({d.log()})")
    d.send([p for p in payloads if slot_of(p) >= 2 * SPE])
    time.sleep(1.0)
    s = d.stop()
    delivered("boundary", d, s, payloads + early, recs, unknown=len(early))
    check(s.get("unknownLeaderByEpoch") == {"2": len(early)},
          f"boundary: the early shreds counted in epoch 2 (getEpochSchedule: 8 slots an epoch) "
          f"({s.get('unknownLeaderByEpoch')})")
    rpc.close()

    # 3. files appearing while sofd runs; SIGHUP
    def dump(sched):
        return json.dumps(sched, separators=(",", ":"))

    keys = list(scheds[1])
    wrong1 = {keys[(i + 1) % len(keys)]: scheds[1][k] for i, k in enumerate(keys)}  # every slot another leader
    check(len(dump(wrong1)) == len(dump(scheds[1])), "files: the wrong epoch 1 file is as long as the right one")
    live = [os.path.join(tmp, f"live{e}.json") for e in range(3)]
    shutil.copy(files[0], live[0])

    def put(path, text):
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.rename(path + ".tmp", path)

    d = Sofd(sofd, "files", ["--leader-schedule", ",".join(f"{live[e]}@{e * SPE}" for e in range(3))], telemetry=True)
    check(d.wait_for(r"live1.json does not exist yet: watched") is not None, f"files: a missing file is watched ({d.log()})")
    check(d.wait_for(r"udp input") is not None, f"files: sofd runs with epoch 0 only ({d.log()})")
    put(live[1], dump(wrong1))
    check(d.wait_for(r"live1.json \(changed on disk\): 8 slots from slot 8", timeout=10) is not None,
          f"files: the mtime poll loads epoch 1's file when it appears ({d.log()})")
    early = [p for p in payloads if slot_of(p) == 16][:10]
    d.send(early)
    w = d.wait_for(r"leaders: (\d+) shreds for slots without a known leader \(latest slot (\d+)\); loaded: ([^(]*)",
                   timeout=10)
    check(w is not None and w.group(1) == "10" and w.group(2) == "16" and w.group(3).strip() == "0..7, 8..15",
          f"files: one warning names slot 16 and the loaded ranges ({w.groups() if w else d.log()})")
    d.send(early)  # the same again within 10 s: counted, no second line
    put(live[2], dump(scheds[2]))
    check(d.wait_for(r"live2.json \(changed on disk\): 8 slots from slot 16", timeout=10) is not None,
          f"files: epoch 2's file loaded when it appears ({d.log()})")
    check(d.count(r"without a known leader") == 1, "files: at most one warning line per 10 s")
    # epoch 1 corrected in place, same size, mtime put back: only SIGHUP sees it
    st = os.stat(live[1])
    with open(live[1], "r+") as f:
        f.write(dump(scheds[1]))
    os.utime(live[1], ns=(st.st_atime_ns, st.st_mtime_ns))
    time.sleep(1.5)
    check(d.count(r"live1.json \(") == 1, f"files: the mtime poll cannot see the in-place rewrite ({d.log()})")
    d.p.send_signal(signal.SIGHUP)
    check(d.wait_for(r"SIGHUP: re-reading 3 schedule file\(s\)", timeout=10) is not None,
          f"files: SIGHUP re-reads the files ({d.log()})")
    check(d.wait_for(r"live1.json \(SIGHUP\): 8 slots from slot 8", timeout=10) is not None,
          f"files: SIGHUP loads the corrected epoch 1 ({d.log()})")
    t = d.telemetry("/sof/leaders") or {}
    check(t.get("leaders_epochs") == 3 and [t.get(f"e{i}_first_slot") for i in range(3)] == [0, 8, 16]
          and [t.get(f"e{i}_last_slot") for i in range(3)] == [7, 15, 23] and t.get("e2_named") == 8
          and t.get("e1_source") == "file" and t.get("rpc_state") == "off",
          f"files: /sof/leaders lists the three epochs ({t})")
    d.send(payloads)
    time.sleep(1.0)
    m = d.metrics()
    s = d.stop()
    # without the SIGHUP re-read, epoch 1's shreds would be invalid_signature
    delivered("files", d, s, payloads + early + early, recs, unknown=20)
    check(m.get("leaders_epochs") == 3 and m.get("leaders_file_reloads", 0) >= 4 and m.get("leaders_unknown_warnings") in (1, 2),
          f"files: counters ({ {k: v for k, v in m.items() if 'leaders_' in k} })")

    # 4. SIGHUP under load: the capture streams in while the txlog is
    # rotated (renamed), epoch 1's file is corrected in place (same size and
    # mtime: only SIGHUP can see it) and SIGHUP arrives; no datagram lost,
    # both files together are the truth once each, epoch 1 verifies
    hup = [os.path.join(tmp, f"hup{e}.json") for e in range(3)]
    for e in range(3):
        put(hup[e], dump(wrong1 if e == 1 else scheds[e]))
    d = Sofd(sofd, "hup", ["--leader-schedule", ",".join(f"{hup[e]}@{e * SPE}" for e in range(3)),
                           "--plugin-opt", "txlog.flush_ms=20"])
    check(d.wait_for(r"leader schedule: 24 slots named in 0\.\.23") is not None and d.wait_for(r"udp input") is not None,
          f"hup: three epochs loaded ({d.log()})")
    first = [p for p in payloads if slot_of(p) < SPE]      # epoch 0: streams during the rotation
    later = [p for p in payloads if slot_of(p) >= SPE]     # epochs 1, 2: after the reload
    sender = threading.Thread(target=d.send, args=(first,))
    sender.start()
    time.sleep(0.05)
    rotated = d.txlog + ".1"
    os.rename(d.txlog, rotated)
    st = os.stat(hup[1])
    with open(hup[1], "r+") as f:
        f.write(dump(scheds[1]))
    os.utime(hup[1], ns=(st.st_atime_ns, st.st_mtime_ns))
    d.p.send_signal(signal.SIGHUP)
    sender.join()
    check(d.wait_for(r"hup1.json \(SIGHUP\): 8 slots from slot 8", timeout=10) is not None,
          f"hup: SIGHUP reloads the corrected epoch 1 under load ({d.log()})")
    d.send(later)
    s = d.stop()
    got = sorted(txs_of(read_lines(rotated)) + txs_of(read_lines(d.txlog)))
    check(d.p.returncode == 0 and s.get("rxPackets") == len(payloads) and s.get("balanced") is True,
          f"hup: every datagram received and counted ({s.get('rxPackets')} of {len(payloads)})")
    check(s.get("verify", {}).get("invalid_signature") == 0, f"hup: epoch 1 verifies after the reload ({s.get('verify')})")
    check(len(txs_of(read_lines(rotated))) > 0 and len(txs_of(read_lines(d.txlog))) > 0 and got == truth_txs(recs),
          f"hup: the rotated and the new txlog together are the truth, once each ({len(got)})")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print(f"test_sofd_epochs: {sof_check.checks} checks, {sof_check.failures} failed")
sys.exit(1 if sof_check.failures else 0)
