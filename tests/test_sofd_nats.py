#!/usr/bin/env python3
"""The nats plugin (issue #21) against real `nats-server -js` processes on
free loopback ports with temporary store directories:

1. one sofd replaying a sof-gen capture: the stream holds exactly the
   truth's transactions and slot events, each once; every event acked;
   the counters balance; vote = false with datasets into a second stream:
   the truth's non-vote transactions and its datasets; bad configs (an unknown format, a stream whose
   config differs, no server) are setup errors (exit 2) that say why;
2. a consumer written with nats.js (npm `nats`, tests/nats/) reads the
   stream: exactly the truth again, each message's Nats-Msg-Id derived from
   its event (skipped when tests/nats/node_modules is absent);
3. sof-sub with a durable consumer, stopped (SIGTERM) mid-stream and
   started again: every event printed exactly once across the restart;
   started again at a stream sequence and with a subject filter; a capture
   with forks: the stream's chain events (reorgs included) are slotlog's
   lines of the same run;
4. two sofd instances replaying the same slots with different losses (each
   misses a whole FEC set of a different slot) and a start skew, into one
   stream: each truth event stored once, the second copy acked as a
   duplicate by the server (acked = events, duplicates = the overlap);
5. the server killed (SIGKILL) and restarted mid-run while sofd receives
   paced UDP shreds: sofd keeps processing (every transaction of the truth
   decoded), reconnects, and the events it did not count lost or dropped
   are all in the stream (stored = events - lost - dropped); Prometheus
   shows the sof_nats_* families (promtool check when installed); again
   with small buffers and queue, so that events are lost, counted; sofd
   exits 1 when it lost or dropped events, saying how many, else 0;
   the server killed for good: the events sofd could not store are counted
   lost (exit status 1), and the store holds exactly what was acked;
6. a 3-node JetStream cluster, an R3 stream, one node killed mid-run: no
   acked event missing;
7. format = protobuf: nats.js decodes every payload with protobufjs from
   proto/geyser.proto by its Sof-Schema header and gets exactly the truth's
   transactions (slot, signature, account keys, vote flag, kind from the
   subject) and slot statuses as geyser.SubscribeUpdate, blockhashes as
   GetLatestBlockhashResponse, reorgs / leader changes as JSON; the
   Nats-Msg-Ids are those of format = json: a json run of the same capture
   into the same stream is all duplicates; sof-sub prints the protobuf
   payloads as base64 with their schema.

usage: test_sofd_nats.py SOF_GEN [SOFD]   (sof-sub: $SOF_SUB, else
tools/sof-sub next to SOFD's app/; exit 77, skipped, without SOFD,
nats-server or sof-sub)
"""
import base64
import json
import os
import re
import shutil
import signal
import socket
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
sub = os.environ.get("SOF_SUB") or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(sofd))),
                                                "tools", "sof-sub")
nats_server = shutil.which("nats-server")
if not nats_server:
    print("nats-server not found (Debian nats-server; tools/install-deps.sh): skipping", file=sys.stderr)
    sys.exit(77)
if not os.path.exists(sub):
    print("sof-sub was not built (libnats-dev missing): skipping", file=sys.stderr)
    sys.exit(77)
here = os.path.dirname(os.path.abspath(__file__))
node = shutil.which("node")
nats_js = os.path.join(here, "nats", "node_modules", "nats")
protobufjs = os.path.join(here, "nats", "node_modules", "protobufjs")
proto_dir = os.path.join(os.path.dirname(here), "proto")
promtool = shutil.which("promtool")

servers = []  # every nats-server process started, killed at the end
daemons = []  # every sofd started with Popen, killed at the end if still running


class Server:
    """A nats-server -js on 127.0.0.1: a free client port, its own store
    directory; cluster: (name, cluster port, [route ports]) for a node of a
    JetStream cluster."""

    def __init__(self, tmp, name, cluster=None):
        self.name = name
        self.port = sof_check.free_port(socket.SOCK_STREAM)
        self.mport = sof_check.free_port(socket.SOCK_STREAM)
        self.store = os.path.join(tmp, "store-" + name)
        self.log = os.path.join(tmp, "nats-" + name + ".log")
        self.cluster = cluster
        self.p = None
        self.start()

    @property
    def url(self):
        return f"nats://127.0.0.1:{self.port}"

    def start(self):
        args = [nats_server, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.mport),
                "-sd", self.store, "--server_name", self.name]
        if self.cluster:
            cname, cport, routes = self.cluster
            args += ["--cluster_name", cname, "--cluster", f"nats://127.0.0.1:{cport}",
                     "--routes", ",".join(f"nats://127.0.0.1:{r}" for r in routes)]
        self.p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(self.log, "a"))
        servers.append(self.p)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        check(False, f"nats-server {self.name} listens on {self.port}")

    def jsz(self):
        try:
            return json.loads(urllib.request.urlopen(f"http://127.0.0.1:{self.mport}/jsz", timeout=2).read())
        except OSError:
            return {}

    def connz(self):
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{self.mport}/connz", timeout=2).read().decode()
        except OSError:
            return ""

    def kill(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait()


def stop_servers():
    for p in daemons + servers:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def key_of(e):
    """An event's identity (what must be stored once)."""
    t = e.get("type")
    if t == "transaction":
        return ("tx", e["slot"], e["signature"], e["kind"])
    if t == "slot_status":
        return ("slot", e["slot"], e.get("event") or e["status"])
    if t == "recent_blockhash":
        return ("bh", e["slot"], e["blockhash"])
    if t == "leader_schedule":
        return ("leader", e["kind"], e["firstSlot"], e["leaders"][0] if e["leaders"] else None)
    if t == "reorg":
        return ("reorg", e["oldTip"], e["newTip"])
    return (t, json.dumps(e, sort_keys=True))


def truth_keys(recs, slots=None):
    """The truth's transactions and slot events (processed, first shred,
    complete per produced slot)."""
    out = []
    for r in recs:
        if slots is not None and r.get("slot") not in slots:
            continue
        if r["type"] == "transaction":
            out.append(("tx", r["slot"], r["signature"], r["kind"]))
        elif r["type"] == "slot" and not r["skipped"]:
            out += [("slot", r["slot"], m) for m in ("processed", "first_shred", "complete")]
    return sorted(out)


def tx_and_slot(keys):
    return sorted(k for k in keys if k[0] in ("tx", "slot") and (k[0] == "tx" or k[2] in
                                                                 ("processed", "first_shred", "complete")))


def read_stream(url, stream="SOF", extra=()):
    """Every message of the stream through sof-sub (ephemeral consumer,
    --meta): [(seq, subject, event)]."""
    p = subprocess.run([sub, "-s", url, "--stream", stream, "--meta", "--idle-exit-ms", "1500", *extra],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, f"sof-sub reads {url} ({p.returncode}: {p.stderr[-300:]})")
    out = []
    for l in p.stdout.splitlines():
        m = json.loads(l)
        out.append((m["seq"], m["subject"], m["event"]))
    return out


def nats_line(err):
    """The nats plugin's shutdown line ({} when absent)."""
    for l in err.splitlines():
        if l.startswith('{"type":"nats"'):
            return json.loads(l)
    return {}


def balanced(what, c):
    dropped = sum(v for k, v in c.items() if k.startswith("dropped_"))
    lost = sum(v for k, v in c.items() if k.startswith("lost_"))
    check(c.get("events", -1) == c.get("acked", 0) + dropped + lost and c.get("pending") == 0,
          f"{what}: events = acked + dropped + lost ({c})")
    return dropped, lost


def exit_ok(what, rc, err, not_stored):
    """sofd's exit status: 1 when the nats plugin lost or dropped events
    (saying how many), else 0."""
    line = f"sofd: plugin nats lost {not_stored} events"
    if not_stored:
        check(rc == 1 and line in err, f"{what}: sofd exits 1 and says '{line}' ({rc}: {err[-300:]})")
    else:
        check(rc == 0 and "sofd: plugin nats lost" not in err, f"{what}: sofd exits 0 ({rc}: {err[-300:]})")


def run_sofd(tag, pcap, sched, url, *opts, timeout=120):
    p = subprocess.run([sofd, *sof_check.eal(tag, "0", pcap), "--", "--leader-schedule", sched,
                        "--shred-version", "7", "--udp-port", "8001", "--plugins", "nats",
                        "--plugin-opt", f"nats.url={url}", "--idle-exit-ms", "500", *opts],
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stderr


def udp_payloads(pcap):
    _, frames = sof_check.pcap_frames(pcap)
    return sof_check.udp_payloads(frames, 8001)


# ---- 1..3: one sofd, nats.js, sof-sub across a restart ----------------------------------


def test_single(tmp, pcap, sched, recs):
    want = truth_keys(recs)
    srv = Server(tmp, "one")
    rc, err = run_sofd("nats1", pcap, sched, srv.url, "--plugin-opt", "nats.max_age_s=3600")
    check(rc == 0, f"single: sofd exits 0 ({rc}: {err[-500:]})")
    c = nats_line(err)
    balanced("single", c)
    check(c.get("acked") == c.get("events") and c.get("duplicates") == 0,
          f"single: every event acked, none a duplicate ({c})")
    msgs = read_stream(srv.url)
    keys = [key_of(e) for _, _, e in msgs]
    check(len(keys) == c.get("acked"), f"single: the stream holds what was acked ({len(keys)} vs {c.get('acked')})")
    check(len(set(keys)) == len(keys), "single: every event once in the stream")
    got = tx_and_slot(keys)
    check(got == want, f"single: the stream's transactions and slot events are the truth's "
                       f"({len(got)} vs {len(want)})")
    subj_ok = all(s == ("sof.tx." + e["kind"] if e["type"] == "transaction" else
                        {"slot_status": "sof.slot", "recent_blockhash": "sof.blockhash",
                         "leader_schedule": "sof.leader", "reorg": "sof.reorg"}[e["type"]])
                  for _, s, e in msgs)
    check(subj_ok, "single: each event on its subject (sof.tx.<kind>, sof.slot, ...)")
    check([s for s, _, _ in msgs] == list(range(1, len(msgs) + 1)), "single: stream sequences 1..N")

    # the same config again: the stream is checked and accepted; events dedupe
    rc, err = run_sofd("nats1b", pcap, sched, srv.url, "--plugin-opt", "nats.max_age_s=3600")
    c2 = nats_line(err)
    check(rc == 0 and c2.get("duplicates") == c2.get("events") == c.get("events"),
          f"single: a second run of the same capture is all duplicates ({rc}: {c2})")
    check(len(read_stream(srv.url)) == len(msgs), "single: the second run stored nothing new")

    # filtered and with datasets, into a second stream of the same server
    rc, err = run_sofd("nats1g", pcap, sched, srv.url, "--plugin-opt", "nats.stream=NONVOTE",
                       "--plugin-opt", "nats.subject_prefix=nonvote", "--plugin-opt", "nats.vote=false",
                       "--plugin-opt", "nats.events=transaction,dataset", "--plugin-opt", "nats.storage=memory")
    cf = nats_line(err)
    check(rc == 0 and cf.get("acked") == cf.get("events"), f"filtered: every event acked ({rc}: {cf})")
    fm = read_stream(srv.url, "NONVOTE")
    ftx = sorted(key_of(e) for _, _, e in fm if e["type"] == "transaction")
    fds = sorted((e["slot"], e["startIndex"], e["endIndex"], e["txCount"]) for _, _, e in fm if e["type"] == "dataset")
    want_nv = sorted(k for k in want if k[0] == "tx" and k[3] == "non_vote")
    want_ds = sorted((r["slot"], r["startIndex"], r["endIndex"], r["txCount"]) for r in recs if r["type"] == "dataset")
    check(ftx == want_nv and len(want_nv) > 0, f"filtered: vote = false gives the truth's non-vote transactions "
                                               f"({len(ftx)} vs {len(want_nv)})")
    check(fds == want_ds, f"filtered: events = ...,dataset gives the truth's datasets ({len(fds)} vs {len(want_ds)})")
    check(len(fm) == len(ftx) + len(fds) and all(s.startswith("nonvote.") for _, s, _ in fm),
          "filtered: nothing else, under nonvote.")

    # setup errors
    rc, err = run_sofd("nats1c", pcap, sched, srv.url, "--plugin-opt", "nats.max_age_s=60")
    check(rc == 2 and "stream SOF exists with another config" in err and "max_age" in err,
          f"single: a stream with another max_age is a setup error ({rc}: {err[-300:]})")
    rc, err = run_sofd("nats1h", pcap, sched, srv.url, "--plugin-opt", "nats.stream=OTHER",
                       "--plugin-opt", "nats.subject_prefix=sof.x")
    check(rc == 2 and "cannot create it" in err and "overlap" in err,
          f"single: a stream whose subjects overlap SOF's is a setup error ({rc}: {err[-300:]})")
    rc, err = run_sofd("nats1d", pcap, sched, srv.url, "--plugin-opt", "nats.format=xml")
    check(rc == 2 and "format" in err and "protobuf" in err,
          f"single: an unknown format is refused, naming the choices ({rc}: {err[-300:]})")
    dead = sof_check.free_port(socket.SOCK_STREAM)
    rc, err = run_sofd("nats1e", pcap, sched, f"nats://127.0.0.1:{dead}", "--plugin-opt",
                       "nats.connect_timeout_ms=500")
    check(rc == 2 and "cannot connect" in err, f"single: no server is a setup error ({rc}: {err[-300:]})")
    rc, err = run_sofd("nats1f", pcap, sched, srv.url, "--plugin-opt", "nats.subject_prefix=sof.*")
    check(rc == 2 and "subject_prefix" in err, f"single: a wildcard prefix is refused ({rc}: {err[-300:]})")

    # 2. nats.js
    if node and os.path.isdir(nats_js):
        p = subprocess.run([node, os.path.join(here, "nats", "consume.mjs"), srv.url, "SOF"],
                           capture_output=True, text=True, timeout=120)
        check(p.returncode == 0, f"nats.js: consume.mjs exits 0 ({p.stderr[-300:]})")
        lines = [json.loads(l) for l in p.stdout.splitlines()]
        jkeys = [key_of(l["event"]) for l in lines]
        check(len(jkeys) == len(keys) and len(set(jkeys)) == len(jkeys), "nats.js: every message once")
        check(tx_and_slot(jkeys) == want, "nats.js: the truth's transactions and slot events")
        ids_ok = True
        for l in lines:
            e = l["event"]
            if e["type"] == "transaction":
                ids_ok &= l["msgId"] == f"tx:{e['slot']}:{e['signature']}"
            elif e["type"] == "slot_status":
                ids_ok &= l["msgId"] == f"slot:{e['slot']}:{e.get('event') or e['status']}"
        check(ids_ok, "nats.js: each Nats-Msg-Id is derived from its event (tx:SLOT:SIG, slot:SLOT:STATUS)")
    else:
        print("SKIP: nats.js not installed (tools/install-oracles.sh runs npm ci in tests/nats)",
              file=sys.stderr)

    # 3. sof-sub with a durable consumer, stopped mid-stream and started again
    first = subprocess.Popen([sub, "-s", srv.url, "-d", "resume", "--batch", "8", "--meta"],
                             stdout=subprocess.PIPE, text=True)
    daemons.append(first)
    got = []
    for _ in range(100):  # it is blocked on the pipe, well inside the stream
        got.append(json.loads(first.stdout.readline()))
    first.send_signal(signal.SIGTERM)
    for line in first.stdout:  # the same reader to the end (its buffer holds lines already)
        got.append(json.loads(line))
    first.wait(timeout=30)
    check(first.returncode == 0, f"sof-sub: SIGTERM ends it with 0 ({first.returncode})")
    n1 = len(got)
    check(100 <= n1 < len(msgs), f"sof-sub: stopped mid-stream ({n1} of {len(msgs)})")
    p = subprocess.run([sub, "-s", srv.url, "-d", "resume", "--meta", "--idle-exit-ms", "1000"],
                       capture_output=True, text=True, timeout=60)
    got += [json.loads(l) for l in p.stdout.splitlines()]
    seqs = [g["seq"] for g in got]
    check(seqs == list(range(1, len(msgs) + 1)),
          f"sof-sub: every event exactly once across the restart ({n1} + {len(got) - n1} of {len(msgs)}, "
          f"{len(seqs) - len(set(seqs))} repeated)")
    p = subprocess.run([sub, "-s", srv.url, "-d", "resume", "--idle-exit-ms", "500"],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 0 and p.stdout == "", "sof-sub: a third run has nothing left")
    at = read_stream(srv.url, extra=("--start-seq", "700"))
    check([s for s, _, _ in at] == list(range(700, len(msgs) + 1)), "sof-sub: --start-seq 700 starts there")
    votes = read_stream(srv.url, extra=("-f", "sof.tx.vote_only"))
    nvote = sum(1 for k in want if k[0] == "tx" and k[3] == "vote_only")
    check(len(votes) == nvote and all(e["kind"] == "vote_only" for _, _, e in votes),
          f"sof-sub: -f sof.tx.vote_only gives the vote-only transactions ({len(votes)} vs {nvote})")
    later = read_stream(srv.url, extra=("--start-time", str(int(time.time()) + 3600)))
    check(later == [], "sof-sub: --start-time in the future gives nothing yet")
    p = subprocess.run([sub, "--start-seq", "x"], capture_output=True, text=True)
    check(p.returncode == 2 and "--start-seq" in p.stderr, "sof-sub: a bad --start-seq is a usage error")
    p = subprocess.run([sub, "--help"], capture_output=True, text=True)
    check(p.returncode == 0 and "--durable" in p.stdout, "sof-sub: --help")
    srv.p.terminate()
    srv.p.wait()


def test_forks(tmp, pcap, sched, recs):
    """A capture with forks: the chain events in the stream are slotlog's
    lines of the same run, reorgs included, each once."""
    fpcap, fsched, frecs = sof_check.generate(gen, tmp, "forks", "-n", "12", "--txns-per-slot", "40",
                                              "--leaders", "3", "--leader-rotation", "2", "--shred-version", "7",
                                              "-s", "33", "--fork-every", "4", "--fork-length", "1")
    srv = Server(tmp, "forks")
    slots = os.path.join(tmp, "forks-slots.jsonl")
    rc, err = run_sofd("nats5", fpcap, fsched, srv.url, "--plugins", "slotlog,nats",
                       "--plugin-opt", f"slotlog.path={slots}")
    c = nats_line(err)
    check(rc == 0 and c.get("acked") == c.get("events"), f"forks: sofd exits 0, every event acked ({rc}: {c})")
    chain = sorted(json.dumps(l, sort_keys=True) for l in sof_check.read_lines(slots))
    msgs = read_stream(srv.url)
    got = sorted(json.dumps(e, sort_keys=True) for _, _, e in msgs if e["type"] != "transaction")
    check(sum(1 for l in sof_check.read_lines(slots) if l["type"] == "reorg") > 0, "forks: the run has reorgs")
    check(got == chain, f"forks: the stream's chain events are slotlog's lines ({len(got)} vs {len(chain)})")
    keys = [key_of(e) for _, _, e in msgs]
    check(len(set(keys)) == len(keys), "forks: every event once")
    txs = sorted(k for k in keys if k[0] == "tx")
    check(txs == sorted(("tx", r["slot"], r["signature"], r["kind"]) for r in frecs if r["type"] == "transaction"),
          "forks: the truth's transactions (both branches, at processed)")
    srv.p.terminate()
    srv.p.wait()


# ---- 4: two sofd instances, one stream ----------------------------------------------------


def drop_set(frames, slot, fec_idx):
    """frames without the shreds of one FEC set of one slot."""
    out = []
    for h, d in frames:
        off = sof_check.udp_payload_off(d)
        if off is not None and len(d) >= off + 83:
            s = int.from_bytes(d[off + 65:off + 73], "little")
            f = int.from_bytes(d[off + 79:off + 83], "little")
            if s == slot and f == fec_idx:
                continue
        out.append((h, d))
    return out


def test_two(tmp, pcap, sched, recs):
    hdr, frames = sof_check.pcap_frames(pcap)
    a, b = os.path.join(tmp, "a.pcap"), os.path.join(tmp, "b.pcap")
    sof_check.write_pcap(a, hdr, drop_set(frames, 2, 32))  # sofd A never sees slot 2's second set
    sof_check.write_pcap(b, hdr, drop_set(frames, 4, 64))  # sofd B never sees slot 4's third set
    want = truth_keys(recs)
    srv = Server(tmp, "two")
    out = {}

    def run(name, path, delay):
        time.sleep(delay)
        out[name] = run_sofd("nats2" + name, path, sched, srv.url, "--plugin-opt", "nats.duplicate_window_ms=60000")

    ta = threading.Thread(target=run, args=("a", a, 0.0))
    tb = threading.Thread(target=run, args=("b", b, 0.4))  # a start skew
    ta.start()
    tb.start()
    ta.join()
    tb.join()
    ca, cb = nats_line(out["a"][1]), nats_line(out["b"][1])
    check(out["a"][0] == 0 and out["b"][0] == 0, f"two: both sofd exit 0 ({out['a'][0]}, {out['b'][0]})")
    balanced("two A", ca)
    balanced("two B", cb)
    msgs = read_stream(srv.url)
    keys = [key_of(e) for _, _, e in msgs]
    check(len(set(keys)) == len(keys), f"two: every event once in the stream ({len(keys) - len(set(keys))} twice)")
    check(tx_and_slot(keys) == want, f"two: the stream's transactions and slot events are the truth's "
                                     f"({len(tx_and_slot(keys))} vs {len(want)})")
    txa, txb = ca.get("events", 0), cb.get("events", 0)
    check(txa < len(keys) and txb < len(keys), f"two: each instance alone missed events ({txa}, {txb} of {len(keys)})")
    dups = ca.get("duplicates", 0) + cb.get("duplicates", 0)
    acked = ca.get("acked", 0) + cb.get("acked", 0)
    check(acked == txa + txb and acked - dups == len(keys),
          f"two: the server stored each event once and acked the other copy as a duplicate "
          f"(acked {acked}, duplicates {dups}, stored {len(keys)})")
    check(ca.get("duplicates", 0) > 0 or cb.get("duplicates", 0) > 0, "two: duplicates seen by the server")
    srv.p.terminate()
    srv.p.wait()


# ---- 5: the server killed and restarted mid-run ---------------------------------------------


def telemetry(prefix, cmd):
    """One rte_telemetry command's answer (None when the socket is absent)."""
    path = os.path.join(sof_check.runtime_dir(prefix), "dpdk_telemetry.v2")
    try:
        sk = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sk.connect(path)
        sk.recv(4096)
        sk.send(cmd.encode())
        out = json.loads(sk.recv(1 << 20))
        sk.close()
        return out.get(cmd)
    except (OSError, ValueError):
        return None


def scrape(url):
    return urllib.request.urlopen(url, timeout=10).read().decode()


def test_restart(tmp, pcap, sched, recs, small=False):
    """small: a 64 KiB reconnect buffer, 32 pending publishes and a 64 KiB
    queue (it wraps around many times), so that events are lost while the
    server is away."""
    what = "restart (small buffers)" if small else "restart"
    payloads = udp_payloads(pcap)
    srv = Server(tmp, "restart-small" if small else "restart")
    bounds = ["--plugin-opt", "nats.reconnect_buf_bytes=65536", "--plugin-opt", "nats.max_pending=32",
              "--plugin-opt", "nats.queue_bytes=65536"] if small else []
    port = sof_check.free_port()
    p = subprocess.Popen([sofd, *sof_check.eal("nats3", "0", telemetry=True), "--", "--driver", "udp",
                          "--udp-bind", "127.0.0.1",
                          "--udp-listen", str(port), "--leader-schedule", sched, "--shred-version", "7",
                          "--plugins", "nats", "--plugin-opt", f"nats.url={srv.url}",
                          "--plugin-opt", "nats.ack_wait_ms=500", "--plugin-opt", "nats.reconnect_wait_ms=50",
                          "--plugin-opt", "nats.reconnect_wait_max_ms=400", "--prometheus", "127.0.0.1:0", *bounds],
                         stderr=subprocess.PIPE, text=True)
    daemons.append(p)
    url, lines = None, []
    deadline = time.time() + 30
    while time.time() < deadline and url is None:
        line = p.stderr.readline()
        if not line:
            break
        lines.append(line)
        m = re.search(r"Prometheus metrics on (http://[0-9.]+:[0-9]+)", line)
        if m:
            url = m.group(1)
    check(url is not None, f"{what}: sofd started ({''.join(lines)[-400:]})")
    errbuf = []
    t = threading.Thread(target=lambda: errbuf.append(p.stderr.read()), daemon=True)
    t.start()
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    n = len(payloads)
    body_down = ""
    for i, pl in enumerate(payloads):  # about 4 s
        tx.sendto(pl, ("127.0.0.1", port))
        if i % 32 == 31:
            time.sleep(0.04)
        if i == n // 3:
            srv.kill()
        if n // 2 <= i < 2 * n // 3 and i % 32 == 0 and url and "sof_nats_connected 0" not in body_down:
            body_down = scrape(url.rstrip("/") + "/metrics")  # until it shows the disconnect (a loaded machine)
        if i == 2 * n // 3:
            srv.start()
    time.sleep(3)  # the retries after the reconnect
    body = scrape(url.rstrip("/") + "/metrics") if url else ""
    tel = telemetry(sof_check.prefixes[-1], "/sof/plugins")
    p.send_signal(signal.SIGINT)
    p.wait(timeout=60)
    t.join()
    err = "".join(lines) + (errbuf[0] if errbuf else "")
    s = sof_check.summary_of(err)
    c = nats_line(err)
    check(s.get("transactions") == sum(1 for r in recs if r["type"] == "transaction"),
          f"{what}: sofd kept processing: every transaction decoded ({s.get('transactions')})")
    check(c.get("disconnects", 0) >= 1 and c.get("reconnects", 0) >= 1,
          f"{what}: disconnected and reconnected ({c.get('disconnects')}, {c.get('reconnects')})")
    dropped, lost = balanced(what, c)
    exit_ok(what, p.returncode, err, dropped + lost)
    msgs = read_stream(srv.url)
    keys = [key_of(e) for _, _, e in msgs]
    check(len(set(keys)) == len(keys), f"{what}: every event at most once in the stream")
    want = truth_keys(recs)
    got = tx_and_slot(keys)
    missing = len(set(want) - set(got))
    other = len(keys) - len(got)  # blockhash and leader events
    check(not set(got) - set(want), f"{what}: nothing but the truth in the stream")
    check(len(keys) >= c.get("acked", 0) - c.get("duplicates", 0),
          f"{what}: every acked event is in the stream ({len(keys)} stored, {c.get('acked')} acked, "
          f"{c.get('duplicates')} duplicates)")
    check(len(keys) + dropped + lost == c.get("events", 0) and missing <= dropped + lost,
          f"{what}: what is not in the stream was counted lost or dropped (missing {missing} of the truth, "
          f"other events {other}, dropped {dropped}, lost {lost}, {c})")
    print(f"{what}: {c.get('events')} events, {c.get('acked')} acked, {c.get('retries')} retries, "
          f"{lost} lost, {dropped} dropped, {len(keys)} stored", file=sys.stderr)
    if small:
        check(lost > 0, f"{what}: events lost while the server was away ({c})")
    check("sof_nats_connected 0" in body_down, f"{what}: sof_nats_connected 0 while the server is away")
    check(isinstance(tel, dict) and tel.get("nats_events") == c.get("events") and
          "nats_lost_disconnected" in tel and "nats_dropped_queue_full" in tel and "nats_pending" in tel,
          f"{what}: /sof/plugins telemetry has the nats counters ({str(tel)[:300]})")
    for fam in ("sof_nats_events_total", "sof_nats_acked_total", "sof_nats_lost_total{reason=\"disconnected\"}",
                "sof_nats_dropped_total{reason=\"queue_full\"}", "sof_nats_pending", "sof_nats_reconnects_total"):
        check(fam in body, f"{what}: Prometheus has {fam}")
    if promtool:
        pt = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, text=True)
        check(pt.returncode == 0 and not (pt.stdout + pt.stderr).strip(),
              f"{what}: promtool check metrics is silent ({(pt.stdout + pt.stderr)[:1000]})")
    else:
        print("SKIP: promtool not found: the Prometheus format is not checked", file=sys.stderr)
    srv.p.terminate()
    srv.p.wait()


# ---- 5b: the server killed for good mid-run: losses set the exit status ------------------------


def test_gone(tmp, pcap, sched, recs):
    """The server killed (SIGKILL) mid-run and not restarted while sofd
    sends: sofd keeps processing, counts every event it could not store
    lost or dropped, and exits 1 saying how many; the server's store, read
    after a restart, holds exactly the events sofd counted acked."""
    payloads = udp_payloads(pcap)
    srv = Server(tmp, "gone")
    port = sof_check.free_port()
    p = subprocess.Popen([sofd, *sof_check.eal("nats7", "0"), "--", "--driver", "udp", "--udp-bind", "127.0.0.1",
                          "--udp-listen", str(port), "--leader-schedule", sched, "--shred-version", "7",
                          "--plugins", "nats", "--plugin-opt", f"nats.url={srv.url}",
                          "--plugin-opt", "nats.ack_wait_ms=300", "--plugin-opt", "nats.reconnect_wait_ms=50",
                          "--plugin-opt", "nats.reconnect_wait_max_ms=200", "--plugin-opt", "nats.drain_ms=1000"],
                         stderr=subprocess.PIPE, text=True)
    daemons.append(p)
    lines = []
    deadline = time.time() + 30
    while time.time() < deadline:  # setup done (connected, the stream created): the pipeline starts
        line = p.stderr.readline()
        lines.append(line)
        if not line or "plugin(s)" in line:
            break
    check(lines[-1] and "plugin(s)" in lines[-1], f"gone: sofd started ({''.join(lines)[-400:]})")
    errbuf = []
    t = threading.Thread(target=lambda: errbuf.append(p.stderr.read()), daemon=True)
    t.start()
    time.sleep(0.3)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    n = len(payloads)
    for i, pl in enumerate(payloads):
        tx.sendto(pl, ("127.0.0.1", port))
        if i % 32 == 31:
            time.sleep(0.03)
        if i == n // 2:
            srv.kill()
    time.sleep(1)
    p.send_signal(signal.SIGINT)
    p.wait(timeout=60)
    t.join()
    err = "".join(lines) + (errbuf[0] if errbuf else "")
    c = nats_line(err)
    s = sof_check.summary_of(err)
    check(s.get("transactions") == sum(1 for r in recs if r["type"] == "transaction"),
          f"gone: sofd kept processing: every transaction decoded ({s.get('transactions')})")
    dropped, lost = balanced("gone", c)
    check(lost + dropped > 0 and c.get("lost_disconnected", 0) + c.get("lost_shutdown", 0) > 0,
          f"gone: events lost while the server is away ({c})")
    exit_ok("gone", p.returncode, err, dropped + lost)
    srv.start()  # the same store: what was stored before the kill
    msgs = read_stream(srv.url)
    keys = [key_of(e) for _, _, e in msgs]
    check(len(set(keys)) == len(keys) and len(keys) == c.get("acked", 0) - c.get("duplicates", 0),
          f"gone: the stream holds exactly what sofd counted acked ({len(keys)} stored, {c})")
    check(len(keys) + dropped + lost == c.get("events"), f"gone: events = stored + lost + dropped ({len(keys)}, {c})")
    print(f"gone: {c.get('events')} events, {c.get('acked')} acked, {lost} lost, {dropped} dropped, "
          f"{len(keys)} stored, exit {p.returncode}", file=sys.stderr)
    srv.p.terminate()
    srv.p.wait()


# ---- 6: a 3-node cluster, R3, one node killed -----------------------------------------------


def test_cluster(tmp, pcap, sched, recs):
    cports = [sof_check.free_port(socket.SOCK_STREAM) for _ in range(3)]
    nodes = [Server(tmp, f"n{i}", ("sofc", cports[i], [c for j, c in enumerate(cports) if j != i]))
             for i in range(3)]
    deadline = time.time() + 30
    while time.time() < deadline:
        if all(n.jsz().get("meta_cluster", {}).get("leader") for n in nodes):
            break
        time.sleep(0.2)
    check(all(n.jsz().get("meta_cluster", {}).get("leader") for n in nodes), "cluster: a JetStream meta leader")
    payloads = udp_payloads(pcap)
    port = sof_check.free_port()
    urls = ",".join(n.url for n in nodes)
    p = subprocess.Popen([sofd, *sof_check.eal("nats4", "0"), "--", "--driver", "udp", "--udp-bind", "127.0.0.1",
                          "--udp-listen", str(port), "--leader-schedule", sched, "--shred-version", "7",
                          "--plugins", "nats", "--plugin-opt", f"nats.url={urls}", "--plugin-opt", "nats.replicas=3",
                          "--plugin-opt", "nats.ack_wait_ms=1000", "--plugin-opt", "nats.reconnect_wait_ms=50",
                          "--plugin-opt", "nats.connect_timeout_ms=5000"],
                         stderr=subprocess.PIPE, text=True)
    daemons.append(p)
    errbuf = []
    t = threading.Thread(target=lambda: errbuf.append(p.stderr.read()), daemon=True)
    t.start()
    time.sleep(2.5)  # setup: the R3 stream created
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    n = len(payloads)
    for i, pl in enumerate(payloads):
        tx.sendto(pl, ("127.0.0.1", port))
        if i % 32 == 31:
            time.sleep(0.03)
        if i == n // 2:  # the node sofd is connected to
            victim = next((nd for nd in nodes if '"name": "sofd"' in nd.connz()), nodes[0])
            victim.kill()
    time.sleep(4)
    p.send_signal(signal.SIGINT)
    p.wait(timeout=60)
    t.join()
    err = errbuf[0] if errbuf else ""
    c = nats_line(err)
    dropped, lost = balanced("cluster", c)
    exit_ok("cluster", p.returncode, err, dropped + lost)
    alive = [nd for nd in nodes if nd is not victim]
    deadline = time.time() + 30  # the survivors elect a meta leader if it was the victim
    while time.time() < deadline and not all(nd.jsz().get("meta_cluster", {}).get("leader") not in
                                              (None, "", victim.name) for nd in alive):
        time.sleep(0.2)
    msgs = read_stream(",".join(nd.url for nd in alive))
    keys = [key_of(e) for _, _, e in msgs]
    want = truth_keys(recs)
    got = tx_and_slot(keys)
    check(len(set(keys)) == len(keys), "cluster: every event at most once in the stream")
    check(len(keys) >= c.get("acked", 0) - c.get("duplicates", 0) > 0,
          f"cluster: no acked event lost ({len(keys)} stored, {c})")
    missing = len(set(want) - set(got))
    check(missing <= dropped + lost, f"cluster: what is missing was counted ({missing} missing, {c})")
    check(c.get("reconnects", 0) >= 1, f"cluster: sofd lost its node and reconnected to another ({c})")
    print(f"cluster: {c.get('reconnects')} reconnects, {c.get('events')} events, {c.get('acked')} acked, "
          f"{c.get('retries')} retries, "
          f"{lost} lost, {dropped} dropped, {len(keys)} stored, {missing} of the truth missing", file=sys.stderr)
    for nd in alive:
        nd.p.terminate()
        nd.p.wait()


# ---- 7: format = protobuf, decoded by nats.js + protobufjs ------------------------------------

PB_SLOT = {"SLOT_PROCESSED": "processed", "SLOT_CONFIRMED": "confirmed", "SLOT_FINALIZED": "finalized",
           "SLOT_FIRST_SHRED_RECEIVED": "first_shred", "SLOT_COMPLETED": "complete", "SLOT_DEAD": "orphaned"}


def b64_58(v):
    return sof_check.b58(base64.b64decode(v))


def test_protobuf(tmp, pcap, sched, recs):
    if not (node and os.path.isdir(nats_js) and os.path.isdir(protobufjs)):
        print("SKIP: protobuf: nats.js / protobufjs not installed (tools/install-oracles.sh runs npm ci in "
              "tests/nats)", file=sys.stderr)
        return
    srv = Server(tmp, "pb")
    rc, err = run_sofd("nats6", pcap, sched, srv.url, "--plugin-opt", "nats.format=protobuf")
    c = nats_line(err)
    check(rc == 0 and c.get("acked") == c.get("events") > 0 and c.get("duplicates") == 0,
          f"protobuf: sofd exits 0, every event acked ({rc}: {c} {err[-300:]})")
    p = subprocess.run([node, os.path.join(here, "nats", "consume.mjs"), srv.url, "SOF", proto_dir],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, f"protobuf: consume.mjs decodes the stream ({p.stderr[-300:]})")
    lines = [json.loads(l) for l in p.stdout.splitlines()]
    check(len(lines) == c.get("acked"), f"protobuf: the stream holds what was acked ({len(lines)} vs {c.get('acked')})")
    keys, ids_ok, subj_ok, other = [], True, True, {}
    txs = {}
    for l in lines:
        schema, e, subj = l["schema"], l["event"], l["subject"]
        if schema == "geyser.SubscribeUpdate" and "transaction" in e:
            ut = e["transaction"]
            info = ut["transaction"]
            slot, sig = int(ut["slot"]), b64_58(info["signature"])
            kind = subj.rsplit(".", 1)[-1]
            msg = info["transaction"]["message"]
            txs[(slot, sig)] = ([b64_58(k) for k in msg["account_keys"]], bool(info.get("is_vote")),
                                b64_58(info["transaction"]["signatures"][0]), "created_at" in e, "meta" in info)
            keys.append(("tx", slot, sig, kind))
            ids_ok &= l["msgId"] == f"tx:{slot}:{sig}"
            subj_ok &= subj.startswith("sof.tx.")
        elif schema == "geyser.SubscribeUpdate" and "slot" in e:
            s = e["slot"]
            st = PB_SLOT[s.get("status", "SLOT_PROCESSED")]  # proto3 leaves 0 out
            keys.append(("slot", int(s["slot"]), st))
            ids_ok &= l["msgId"] == f"slot:{s['slot']}:{st}"
            subj_ok &= subj == "sof.slot"
        elif schema == "geyser.GetLatestBlockhashResponse":
            keys.append(("bh", int(e["slot"]), e["blockhash"]))
            ids_ok &= l["msgId"] == f"bh:{e['slot']}:{e['blockhash']}"
            subj_ok &= subj == "sof.blockhash"
        else:
            other[schema + " " + subj] = other.get(schema + " " + subj, 0) + 1
            keys.append(key_of(e))
            subj_ok &= schema == "json" and subj in ("sof.reorg", "sof.leader")
    check(len(set(keys)) == len(keys), "protobuf: every event once in the stream")
    want = truth_keys(recs)
    got = tx_and_slot(keys)
    check(got == want, f"protobuf: the decoded transactions and slot statuses are the truth's ({len(got)} vs {len(want)})")
    truth_tx = {(r["slot"], r["signature"]): r for r in recs if r["type"] == "transaction"}
    acct_ok = all(k in txs and txs[k][0] == r["accountKeys"] and txs[k][1] == r["simpleVote"] and txs[k][2] == k[1]
                  for k, r in truth_tx.items())
    check(acct_ok, "protobuf: each transaction's account keys, vote flag and first signature are the truth's")
    check(all(v[3] and v[4] for v in txs.values()), "protobuf: every update has created_at and an (empty) meta")
    check(ids_ok, "protobuf: each Nats-Msg-Id is derived from its event as in format = json")
    check(subj_ok, f"protobuf: each event on its subject, reorgs / leaders JSON ({other})")
    check(any(k[0] == "bh" for k in keys), "protobuf: blockhashes as GetLatestBlockhashResponse")
    # sof-sub: protobuf payloads as {"schema", "protobuf": base64}, the same bytes
    by_seq = {l["seq"]: l for l in lines}
    sub_ok = True
    sm = read_stream(srv.url)
    for seq, subj, e in sm:
        l = by_seq.get(seq)
        if not l:
            sub_ok = False
        elif l["schema"] == "json":
            sub_ok &= e == l["event"]
        else:
            sub_ok &= e.get("schema") == l["schema"]
            if "transaction" in l["event"]:
                sig = base64.b64decode(l["event"]["transaction"]["transaction"]["signature"])
                sub_ok &= sig in base64.b64decode(e.get("protobuf", ""))
    check(sub_ok and len(sm) == len(lines), f"protobuf: sof-sub prints each protobuf payload as base64 with its "
                                            f"schema ({len(sm)} lines)")
    # the same capture in format = json into the same stream: the same Nats-Msg-Ids, all duplicates
    rc, err = run_sofd("nats6b", pcap, sched, srv.url)
    c2 = nats_line(err)
    check(rc == 0 and c2.get("duplicates") == c2.get("events") == c.get("events"),
          f"protobuf: a format = json run of the same capture is all duplicates ({rc}: {c2})")
    p = subprocess.run([node, os.path.join(here, "nats", "consume.mjs"), srv.url, "SOF", proto_dir],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0 and len(p.stdout.splitlines()) == len(lines), "protobuf: the json run stored nothing new")
    srv.p.terminate()
    srv.p.wait()


with tempfile.TemporaryDirectory() as tmp:
    try:
        pcap, sched, recs = sof_check.generate(gen, tmp, "nats", "-n", "6", "--txns-per-slot", "120",
                                               "--leaders", "3", "--leader-rotation", "2",
                                               "--shred-version", "7", "-s", "21")
        only = os.environ.get("SOF_NATS_ONLY")  # one part by name while debugging
        for name, fn in (("single", test_single), ("forks", test_forks), ("two", test_two), ("restart", test_restart),
                         ("restart_small", lambda *a: test_restart(*a, small=True)), ("gone", test_gone),
                         ("cluster", test_cluster),
                         ("protobuf", test_protobuf)):
            if not only or only == name:
                fn(tmp, pcap, sched, recs)
    finally:
        stop_servers()

sof_check.cleanup_runtime()
print(f"sofd_nats: {sof_check.checks} checks, {sof_check.failures} failed", file=sys.stderr)
sys.exit(1 if sof_check.failures or not sof_check.checks else 0)
