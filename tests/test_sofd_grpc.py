#!/usr/bin/env python3
"""sofd's grpc plugin (issue #20) against sof-gen's ground truth, through
the official Yellowstone client (@triton-one/yellowstone-grpc, its native
binding) and @grpc/grpc-js loading sofd's own proto files (tests/grpc).

1. sofd (UDP driver) with grpc and slotlog; subscribers connect first
   (each request answered by its pong: the filters are in force), then the
   capture is sent:
   - Subscribe, transactions filters vote true / false, account_include,
     account_exclude, account_required, signature, two named filters in
     one request: each gets exactly the truth's transactions its filter
     selects (Yellowstone's semantics; vote = Agave's simple vote), once,
     with the signature, slot, account keys and vote flag of the truth,
     the message whole (signatures, header, instructions, lookups) and the
     names of the filters that matched;
   - Subscribe slots (interslot updates, and commitment statuses only):
     the slot updates are slotlog's slot_status lines (the fork tracker),
     status for status, with parents;
   - Subscribe entry: every entry, its hash and counts the same as the
     entries SubscribeEntries carries;
   - SubscribeDeshred through the official client and through grpc-js:
     the filter's transactions with their dataset's first shred index;
   - ShredstreamProxy.SubscribeEntries (grpc-js): one message per dataset,
     the bincode entries decoded here give the truth's transactions with
     their account keys;
   - unary: GetVersion, Ping, GetSlot (= the fork tracker's tip),
     GetLatestBlockhash (= the last recent blockhash slotlog saw),
     IsBlockhashValid (that one valid, an unknown one not), GetBlockHeight
     refused (not in shreds);
   - blocks_meta (one per truth slot: its blockhash, parent, counts), the
     transactions' block indexes and deshred dataset ends against the
     truth, and Subscribe at CONFIRMED / FINALIZED (the tracker at depths
     2 / 4): exactly the truth's transactions of the slots it confirmed /
     finalized, each after its slot's status update, indexes exact.
2. hostile clients: 300 connections that never speak (past
   max_connections: refused; the others closed after idle_timeout_ms), one
   sending garbage, one a request past max_request_bytes (refused): sofd's
   memory grows little; then x_token: GetVersion without the token and with
   a wrong one gets UNAUTHENTICATED (16), with it OK.
3. 100 concurrent subscribers with different filters (grpc-js, on one
   connection) each get exactly their subset while one more subscriber
   (HTTP/2 by hand on a connection of its own) never reads: it is counted
   lagging and dropped (laggingDropped), the others lose nothing, and the
   pipeline's plugin lanes dropped nothing.

4. forks (sof-gen --fork-every): a CONFIRMED subscriber gets exactly the
   transactions of the confirmed slots, nothing of the orphaned ones, whose
   held updates are dropped and counted (commitDroppedDead).
5. subscribers whose filters cannot take a simple vote (vote = false,
   failed = true): only the non-vote transactions are encoded
   (ringTransactions; every one of them in the main run), and each still
   gets exactly its transactions.

usage: test_sofd_grpc.py SOF_GEN [SOFD]   (exit 77, skipped, without SOFD,
node or tests/grpc/node_modules: run `npm ci` there, tools/install-oracles.sh)
"""
import json
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import sof_check
from sof_check import check

here = os.path.dirname(os.path.abspath(__file__))
client_dir = os.path.join(here, "grpc")
proto_dir = os.path.join(os.path.dirname(here), "proto")
if len(sys.argv) < 3 or not sys.argv[2]:
    print("sofd was not built (DPDK not found): skipping", file=sys.stderr)
    sys.exit(77)
gen, sofd = sys.argv[1], sys.argv[2]
node = subprocess.run(["sh", "-c", "command -v node"], capture_output=True, text=True).stdout.strip()
if not node or not os.path.isdir(os.path.join(client_dir, "node_modules", "@triton-one")):
    print("node or tests/grpc/node_modules missing (npm ci in tests/grpc): skipping", file=sys.stderr)
    sys.exit(77)

# SlotStatus (geyser.proto) of a slotlog slot_status line
SLOT_STATUS = {"processed": 0, "confirmed": 1, "finalized": 2, "orphaned": 6}


def slotlog_status(l):
    if l.get("event") == "first_shred":
        return 3
    if l.get("event") == "complete":
        return 4
    return SLOT_STATUS[l["status"]]


class Sofd:
    """sofd on the UDP driver with grpc (and slotlog), its ports."""

    def __init__(self, tmp, sched, tag, opts=(), extra=()):
        self.udp = sof_check.free_port()
        self.grpc = sof_check.free_port(socket.SOCK_STREAM)
        self.prom = sof_check.free_port(socket.SOCK_STREAM)
        self.slotlog = os.path.join(tmp, tag + ".slots.jsonl")
        args = [sofd, *sof_check.eal("grpc"), "--", "--driver", "udp", "--udp-bind", "127.0.0.1",
                "--udp-listen", str(self.udp), "--leader-schedule", sched, "--shred-version", "7",
                "--plugins", "grpc,slotlog", "--prometheus", f"127.0.0.1:{self.prom}",
                "--plugin-opt", f"grpc.listen=127.0.0.1:{self.grpc}",
                "--plugin-opt", f"slotlog.path={self.slotlog}", "--plugin-opt", "slotlog.flush_ms=0", *extra]
        for o in opts:
            args += ["--plugin-opt", o]
        self.p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.err = ""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.p.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.grpc), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)

    def stats(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.prom}/plugins/grpc", timeout=5) as r:
                return json.loads(r.read())
        except Exception as e:  # noqa: BLE001 (reported by the checks that use it)
            return {"error": str(e)}

    def metrics(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.prom}/metrics", timeout=5) as r:
                return r.read().decode()
        except Exception as e:  # noqa: BLE001
            return f"# error {e}"

    def send(self, payloads, pause=0.002):
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i, pl in enumerate(payloads):
            tx.sendto(pl, ("127.0.0.1", self.udp))
            if i % 64 == 63:
                time.sleep(pause)
        tx.close()

    def settle(self, key="updatesSent", quiet=1.0, limit=60):
        """Waits until the counter key has not moved for quiet seconds."""
        last, since, t0 = None, time.monotonic(), time.monotonic()
        while time.monotonic() - t0 < limit:
            s = self.stats()
            if "error" in s:  # a slow answer on a loaded machine: ask again
                time.sleep(0.2)
                continue
            v = s.get(key)
            if v != last:
                last, since = v, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return v
            time.sleep(0.2)
        return last

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(2)
        try:
            _, self.err = self.p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.p.kill()
            _, self.err = self.p.communicate()
        return self.p.returncode


def stalled_subscriber(port, body=None, path="/geyser.Geyser/Subscribe", token=None):
    """A subscriber that never reads: HTTP/2 by hand (preface, SETTINGS,
    HEADERS with literal HPACK fields, one DATA frame holding a
    SubscribeRequest for every transaction, or body), a small receive
    buffer, and no read. Returns the socket (close it at the end)."""
    def frame(typ, flags, sid, payload):
        return len(payload).to_bytes(3, "big") + bytes([typ, flags]) + sid.to_bytes(4, "big") + payload

    def lit(name, value):  # literal header field without indexing, new name, no Huffman
        n, v = name.encode(), value.encode()
        return b"\x00" + bytes([len(n)]) + n + bytes([len(v)]) + v

    hdrs = (lit(":method", "POST") + lit(":scheme", "http") + lit(":path", path)
            + lit(":authority", f"127.0.0.1:{port}") + lit("content-type", "application/grpc")
            + lit("te", "trailers") + (lit("x-token", token) if token else b""))
    req = b"\x1a\x07\x0a\x03all\x12\x00"  # transactions {"all": {}}
    msg = body if body is not None else b"\x00" + len(req).to_bytes(4, "big") + req
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b"") + frame(1, 4, 1, hdrs)
              + frame(0, 0, 1, msg))
    return s


class Client:
    """tests/grpc/client.js with a spec; waits for its ready line."""

    def __init__(self, tmp, spec, tag):
        path = os.path.join(tmp, tag + ".spec.json")
        with open(path, "w") as f:
            json.dump(spec, f)
        self.errpath = os.path.join(tmp, tag + ".client.err")
        self.p = subprocess.Popen([node, os.path.join(client_dir, "client.js"), path], cwd=client_dir,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=open(self.errpath, "w"), text=True)
        self.lines = []
        self.ready = False
        self.q = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                o = self.q.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if o is None:
                break
            self.lines.append(o)
            if o.get("ready"):
                self.ready = True
                break

    def _read(self):
        for l in self.p.stdout:
            self.q.put(json.loads(l))
        self.q.put(None)

    def cmd(self, c):
        self.p.stdin.write(c + "\n")
        self.p.stdin.flush()
        if c == "unary":
            try:
                o = self.q.get(timeout=60) or {}
            except queue.Empty:
                o = {}
            self.lines.append(o)
            return o

    def stop(self):
        if not self.ready:
            self.p.kill()
        try:
            self.p.stdin.write("stop\n")
            self.p.stdin.close()
        except OSError:
            pass
        res = {}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                o = self.q.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if o is None:
                break
            self.lines.append(o)
            if "name" in o:
                res[o["name"]] = o
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        return res

    def stderr(self):
        return open(self.errpath).read()[-800:]


def expect(txs, f):
    """(slot, signature) of the truth transactions a Yellowstone
    transaction filter f (dict, camelCase) selects."""
    out = []
    for t in txs:
        keys = set(t["accountKeys"])
        if "vote" in f and f["vote"] != t["simpleVote"]:
            continue
        if "signature" in f and f["signature"] != t["signature"]:
            continue
        if f.get("accountInclude") and not keys & set(f["accountInclude"]):
            continue
        if f.get("accountExclude") and keys & set(f["accountExclude"]):
            continue
        if f.get("accountRequired") and not set(f["accountRequired"]) <= keys:
            continue
        out.append((t["slot"], t["signature"]))
    return sorted(out)


def check_txs(name, got, want, truth_by_sig, filters, meta=True):
    pairs = [(u["slot"], u["signature"]) for u in got if u["type"] == "transaction"]
    check(len(want) > 0, f"{name}: the filter selects some of the truth's transactions")
    check(sorted(pairs) == want, f"{name}: exactly the truth's {len(want)} transactions "
          f"({len(pairs)} received, {len(set(pairs) - set(want))} not selected, "
          f"{len(set(want) - set(pairs))} missing)")
    check(len(set(pairs)) == len(pairs), f"{name}: each once")
    bad = []
    for u in got:
        if u["type"] != "transaction":
            continue
        t = truth_by_sig.get(u["signature"])
        if not t or u["accountKeys"] != t["accountKeys"] or u["isVote"] != t["simpleVote"] \
                or u["signatures"][0] != u["signature"] or u["filters"] != filters \
                or u["versioned"] != (t["version"] == "v0") or not u["instructions"] \
                or u["header"][0] != len(u["signatures"]) or len(u["recentBlockhash"]) < 32 \
                or (t["version"] == "v0") != bool(u["lookups"]) or u["hasMeta"] != meta \
                or any(i["programIdIndex"] >= len(u["accountKeys"]) for i in u["instructions"]):
            bad.append(u["signature"])
    check(not bad, f"{name}: signature, account keys, vote flag, header, instructions, lookups and "
          f"filter names as the truth ({len(bad)} differ, e.g. {bad[:1]})")


def check_block_and_commitment(res, recs, truth, by_sig, sl, st):
    """blocks_meta, transaction indexes, dataset ends and the CONFIRMED /
    FINALIZED subscriptions against sof-gen's truth and the fork tracker
    (slotlog's slot_status lines sl); st: the server's counters."""
    slots = {r["slot"]: r for r in recs if r["type"] == "slot" and not r["skipped"]}
    # the transaction's index in its block: its place among its slot's
    # transactions in the truth (sof-gen lists them in block order)
    idx_of, n_in = {}, {}
    for t in truth:
        idx_of[t["signature"]] = n_in.get(t["slot"], 0)
        n_in[t["slot"]] = n_in.get(t["slot"], 0) + 1
    end_of = {(x["slot"], x["startIndex"]): x["endIndex"] + 1 for x in recs if x["type"] == "dataset"}

    def metas_ok(name, got, want_slots):
        m = [u for u in got if u["type"] == "blockMeta"]
        check(sorted(u["slot"] for u in m) == sorted(want_slots),
              f"{name}: one block meta per slot ({sorted(u['slot'] for u in m)} vs {sorted(want_slots)})")
        bad = [u for u in m if u["slot"] not in slots
               or u["blockhash"] != slots[u["slot"]]["blockhash"]
               or u["parentSlot"] != slots[u["slot"]]["parent"]
               or u["parentBlockhash"] != (slots[slots[u["slot"]]["parent"]]["blockhash"]
                                          if slots[u["slot"]]["parent"] in slots else "")
               or u["txCount"] != slots[u["slot"]]["txCount"]
               or u["entriesCount"] != slots[u["slot"]]["entryCount"]
               or u["blockHeight"] is not None or u["blockTime"] is not None or u["filters"] != ["m"]]
        check(m and not bad, f"{name}: blockhash (last entry hash), parent slot and blockhash, transaction "
              f"and entry counts as the truth; no block height / time ({len(bad)} differ, e.g. {bad[:1]})")

    metas_ok("blocks_meta", res.get("meta", {}).get("updates", []), list(slots))

    # processed: an index is the truth's or below it (earlier datasets not in yet)
    allu = [u for u in res.get("all", {}).get("updates", []) if u["type"] == "transaction"]
    exact = sum(u["index"] == idx_of[u["signature"]] for u in allu)
    check(allu and all(u["index"] <= idx_of[u["signature"]] for u in allu),
          f"processed: every transaction index is its block index or a lower bound ({exact} of {len(allu)} exact)")
    check(exact > 0, f"processed: some indexes are exact already ({exact})")
    for n in ("deshred", "deshred_js"):
        r = [u for u in res.get(n, {}).get("updates", []) if u["type"] == "transaction"]
        known = [u for u in r if u["datasetEnd"]]
        check(all(u["datasetEnd"] == end_of[(u["slot"], u.get("datasetStart", 0))] for u in known),
              f"{n}: a dataset end index, when sent, is the truth's ({len(known)} of {len(r)} known at send time)")

    # commitment: the tracker's confirmed / finalized slots
    conf = {l["slot"] for l in sl if l.get("event") not in ("first_shred", "complete")
            and l["status"] in ("confirmed", "finalized")}
    fin = {l["slot"] for l in sl if l.get("event") not in ("first_shred", "complete") and l["status"] == "finalized"}
    check(conf and fin and fin < conf < set(slots),
          f"the tracker confirmed and finalized some slots, not all ({sorted(fin)} < {sorted(conf)})")
    for name, level, done, f in (("confirmed", 1, conf, {}), ("finalized", 2, fin, {"vote": False})):
        got = res.get(name, {}).get("updates", [])
        check(res.get(name, {}).get("error") is None, f"{name}: no stream error ({res.get(name, {}).get('error')})")
        want = [(s, sig) for s, sig in expect(truth, f) if s in done]
        check_txs(name, got, want, by_sig, ["c"])
        seen, late = set(), []
        for u in got:
            if u["type"] == "slot" and u["status"] in (1, 2) and u["status"] >= level:
                seen.add(u["slot"])
            elif u["type"] in ("transaction", "blockMeta", "entry") and u["slot"] not in seen:
                late.append((u["type"], u["slot"]))
        check(not late, f"{name}: every transaction, entry and block meta after its slot's status update ({late[:3]})")
        txs = [u for u in got if u["type"] == "transaction"]
        check(all(u["index"] == idx_of[u["signature"]] for u in txs),
              f"{name}: every transaction index is the truth's position in its block")
        metas_ok(name, got, done)
    fe = [u for u in res.get("finalized", {}).get("updates", []) if u["type"] == "entry"]
    check(sum(slots[s]["entryCount"] for s in fin) == len(fe) and {u["slot"] for u in fe} == fin,
          f"finalized: the entries of the finalized slots, all of them ({len(fe)})")
    check(st.get("commitHeld", 0) > 0 and st.get("commitLost") == 0 and st.get("commitHoldFull") == 0,
          f"commitment: records were held, none lost or over the cap ({st})")


with tempfile.TemporaryDirectory() as tmp:
    common = ["-n", "8", "--txns-per-slot", "150", "--leaders", "3", "--leader-rotation", "2",
              "--shred-version", "7", "-s", "33"]
    pcap, sched, recs = sof_check.generate(gen, tmp, "grpc", *common)
    truth = [r for r in recs if r["type"] == "transaction"]
    datasets = [r for r in recs if r["type"] == "dataset"]
    by_sig = {t["signature"]: t for t in truth}
    check(len(truth) > 500 and all("accountKeys" in t for t in truth),
          f"the truth lists transactions with their account keys ({len(truth)})")
    _, frames = sof_check.pcap_frames(pcap)
    payloads = sof_check.udp_payloads(frames, 8001)

    # keys that select a part of the transactions: a fee payer (in some),
    # and a key that appears with it in a few
    count = {}
    for t in truth:
        for k in set(t["accountKeys"]):
            count[k] = count.get(k, 0) + 1
    part = sorted((k for k, c in count.items() if 0.02 * len(truth) < c < 0.3 * len(truth)),
                  key=lambda k: (-count[k], k))
    k1 = part[0]
    with_k1 = [t for t in truth if k1 in t["accountKeys"]]
    k2 = next(k for k in sorted(count, key=lambda k: (count[k], k))
              if k != k1 and 0 < sum(k in t["accountKeys"] for t in with_k1) < len(with_k1))
    k3 = part[1]
    sig = truth[len(truth) // 2]["signature"]
    v0 = [t for t in truth if t["version"] == "v0"]
    check(len(v0) > 0, "the capture holds v0 transactions (lookups)")
    filters = {
        "all": {},
        "vote_true": {"vote": True},
        "vote_false": {"vote": False},
        "include": {"accountInclude": [k1]},
        "exclude": {"accountExclude": [k1]},
        "required": {"accountRequired": [k1, k2]},
        "signature": {"signature": sig},
        "failed_false": {"failed": False, "vote": False, "accountInclude": [k1, k3]},
    }
    subs = [{"name": n, "kind": "subscribe", "request": {"transactions": {n: f}}} for n, f in filters.items()]
    subs += [
        {"name": "two", "kind": "subscribe",
         "request": {"transactions": {"a": {"accountInclude": [k1]}, "b": {"accountInclude": [k3]}}}},
        {"name": "failed_true", "kind": "subscribe", "request": {"transactions": {"f": {"failed": True}}}},
        {"name": "slots", "kind": "subscribe",
         "request": {"slots": {"all": {"interslotUpdates": True}, "commit": {}}}},
        {"name": "entry", "kind": "subscribe", "request": {"entry": {"e": {}}}},
        {"name": "deshred", "kind": "deshred", "request": {"deshredTransactions": {"d": {"vote": False}}}},
        {"name": "deshred_js", "kind": "deshred_js",
         "request": {"deshredTransactions": {"d": {"accountInclude": [k1]}}}},
        {"name": "entries", "kind": "entries"},
        {"name": "meta", "kind": "subscribe", "request": {"blocksMeta": {"m": {}}}},
        {"name": "confirmed", "kind": "subscribe",
         "request": {"transactions": {"c": {}}, "slots": {"s": {}}, "blocksMeta": {"m": {}}, "commitment": 1}},
        {"name": "finalized", "kind": "subscribe",
         "request": {"transactions": {"c": {"vote": False}}, "slots": {"s": {}}, "blocksMeta": {"m": {}},
                     "entry": {"e": {}}, "commitment": 2}},
    ]

    # ---- 1. the filters, slots, entries, deshred, unary --------------------
    # the fork tracker confirms a slot 2 links below the tip and finalizes
    # it 4 below: the capture's 8 slots reach every commitment
    d = Sofd(tmp, sched, "main", ["grpc.max_streams_per_conn=64", "grpc.ping_interval_ms=1000"],
             ["--forks-confirmed-depth", "2", "--forks-finalized-depth", "4"])
    c = Client(tmp, {"endpoint": f"http://127.0.0.1:{d.grpc}", "protoDir": proto_dir, "subs": subs}, "main")
    check(c.ready, f"main: every subscription answered its ping ({c.stderr()})")
    before = c.cmd("unary")["unary"] if c.ready else {}
    check("error" in before.get("slot", {}), f"main: GetSlot before any shred is refused ({before.get('slot')})")
    d.send(payloads)
    sent = d.settle()
    after = c.cmd("unary")["unary"] if c.ready else {}
    # counters and the scrape while every subscriber is still connected
    # (their series go when they leave); the server's pings keep counting,
    # so the scrape lies between two reads of the counters
    st0 = d.stats()
    prom = d.metrics()
    st = d.stats()
    res = c.stop()
    rc = d.stop()
    check(rc == 0, f"main: sofd exit 0 ({rc}: {d.err[-400:]})")
    summ = sof_check.summary_of(d.err)
    lanes = summ.get("plugins", {}).get("lanes", {})
    check(lanes and all(l.get("dropped") == 0 for l in lanes.values()),
          f"main: the plugin lanes dropped nothing ({lanes})")
    check(st.get("lost") == 0 and st.get("laggingDropped") == 0, f"main: no update lost ({st})")
    check(st.get("ringTransactions") == len(truth),
          f"main: every transaction encoded once, votes too ({st.get('ringTransactions')} of {len(truth)})")
    # Prometheus: the server's families and one series per subscriber
    m = {}
    for l in prom.splitlines():
        if l.startswith("sof_grpc_") and "{" not in l:
            k, v = l.rsplit(" ", 1)
            m[k] = int(v)
    check(st0.get("updatesSent", -1) <= m.get("sof_grpc_updates_sent_total", -2) <= st.get("updatesSent", -3)
          and m.get("sof_grpc_calls_total", 0) >= len(subs),
          f"main: /metrics has the grpc counters ({st0.get('updatesSent')} <= "
          f"{m.get('sof_grpc_updates_sent_total')} <= {st.get('updatesSent')})")
    check(prom.count("sof_grpc_subscriber_sent_total{") == len(subs),
          f"main: /metrics has one series per subscriber ({prom.count('sof_grpc_subscriber_sent_total{')})")
    promtool = subprocess.run(["sh", "-c", "command -v promtool"], capture_output=True, text=True).stdout.strip()
    if promtool:
        pt = subprocess.run([promtool, "check", "metrics"], input=prom, capture_output=True, text=True)
        bad = [l for l in (pt.stdout + pt.stderr).splitlines() if "grpc" in l]
        check(not bad, f"main: promtool finds nothing wrong with the sof_grpc_ families ({bad[:3]})")
    for n, f in filters.items():
        r = res.get(n, {})
        check(r.get("error") is None, f"{n}: no stream error ({r.get('error')})")
        check_txs(n, r.get("updates", []), expect(truth, f), by_sig, [n])
    r = res.get("two", {}).get("updates", [])
    want_a, want_b = expect(truth, {"accountInclude": [k1]}), expect(truth, {"accountInclude": [k3]})
    check(sorted((u["slot"], u["signature"]) for u in r) == sorted(set(want_a) | set(want_b)),
          "two filters: their union, once each")
    check(all(sorted(u["filters"]) == sorted(n for n, w in (("a", want_a), ("b", want_b))
                                                if (u["slot"], u["signature"]) in w) for u in r),
          "two filters: each update names the filters it matched")
    check(all(res.get(n, {}).get("pings", 0) >= 1 for n in filters),
          "the server pings every subscription (ping_interval_ms)")
    check(res.get("failed_true", {}).get("updates", None) == [],
          "failed = true: nothing (no transaction seen in shreds has failed)")

    # slots against slotlog (the fork tracker)
    sl = [l for l in sof_check.read_lines(d.slotlog) if l["type"] == "slot_status"]
    want_slots = [(l["slot"], slotlog_status(l), l["parent"]) for l in sl]
    got = [u for u in res.get("slots", {}).get("updates", []) if u["type"] == "slot"]
    got_all = [(u["slot"], u["status"], u["parent"]) for u in got if "all" in u["filters"]]
    got_commit = [(u["slot"], u["status"], u["parent"]) for u in got if "commit" in u["filters"]]
    check(len(want_slots) >= 3 * 8 and got_all == want_slots,
          f"slots: the updates are slotlog's slot_status lines ({len(got_all)} vs {len(want_slots)})")
    check(got_commit == [w for w in want_slots if w[1] <= 2],
          "slots without interslot updates: the processed / confirmed / finalized ones")

    # SubscribeEntries: each dataset's bincode entries
    ents = res.get("entries", {}).get("updates", [])
    check(len(ents) == len(datasets), f"entries: one message per dataset ({len(ents)} vs {len(datasets)})")
    etx = sorted((m["slot"], tx["signature"]) for m in ents for e in m["entries"] for tx in e["txs"])
    check(etx == sorted((t["slot"], t["signature"]) for t in truth),
          f"entries: the decoded entries hold the truth's transactions ({len(etx)} vs {len(truth)})")
    check(all(tx["accountKeys"] == by_sig[tx["signature"]]["accountKeys"]
              for m in ents for e in m["entries"] for tx in e["txs"] if tx["signature"] in by_sig),
          "entries: with the truth's account keys")
    check(sum(len(m["entries"]) for m in ents) == sum(x["entryCount"] for x in datasets),
          "entries: the truth's entry count")
    # entry updates: the same entries
    eu = res.get("entry", {}).get("updates", [])
    from_entries = sorted((m["slot"], e["numHashes"], e["hash"], len(e["txs"])) for m in ents for e in m["entries"])
    check(sorted((u["slot"], u["numHashes"], u["hash"], u["txCount"]) for u in eu) == from_entries,
          f"entry: every entry, hash and counts as SubscribeEntries carries them ({len(eu)})")
    per_slot = {}
    for u in eu:
        per_slot.setdefault(u["slot"], []).append(u["index"])
    check(all(sorted(v) == list(range(len(v))) for v in per_slot.values()),
          "entry: indexes count each slot's entries from 0")

    # SubscribeDeshred (official client and grpc-js)
    start_of = {t["signature"]: t["startIndex"] for t in truth}
    for n, f in (("deshred", {"vote": False}), ("deshred_js", {"accountInclude": [k1]})):
        r = res.get(n, {}).get("updates", [])
        check_txs(n, r, expect(truth, f), by_sig, ["d"], meta=False)
        check(all(u.get("datasetStart", 0) == start_of[u["signature"]] for u in r),
              f"{n}: completed_data_set_starting_shred_index is the dataset's first shred")

    check_block_and_commitment(res, recs, truth, by_sig, sl, st)

    # unary
    status = [l for l in sof_check.read_lines(d.slotlog) if l["type"] == "slot_status"]
    bh = [l for l in sof_check.read_lines(d.slotlog) if l["type"] == "recent_blockhash"]
    check("sofd" in str(after.get("version", {}).get("version")), f"GetVersion names sofd ({after.get('version')})")
    check(after.get("ping", {}).get("count") == 7, f"Ping answers its count ({after.get('ping')})")
    check(str(after.get("slot", {}).get("slot")) == str(status[-1]["tip"]),
          f"GetSlot: the fork tracker's tip ({after.get('slot')} vs {status[-1]['tip']})")
    check(bh and after.get("blockhash", {}).get("blockhash") == bh[-1]["blockhash"]
          and str(after["blockhash"].get("slot")) == str(bh[-1]["slot"]),
          f"GetLatestBlockhash: the newest observed blockhash ({after.get('blockhash')} vs {bh[-1:]})")
    check(after.get("valid", {}).get("valid") is True, f"IsBlockhashValid: the observed one ({after.get('valid')})")
    check(after.get("invalid", {}).get("valid") is False, f"IsBlockhashValid: an unknown one ({after.get('invalid')})")
    check("error" in after.get("height", {}), f"GetBlockHeight: refused ({after.get('height')})")
    check(sent and sent >= len(truth) * 4, f"updates were sent ({sent})")

    # ---- 2. x-token; hostile connections ---------------------------------------
    d = Sofd(tmp, sched, "token", ["grpc.x_token=s3cret-token", "grpc.max_connections=64",
                                   "grpc.idle_timeout_ms=1000"])
    time.sleep(2)  # sofd's own start-up (mempools) is not the flood's
    rss0 = int(open(f"/proc/{d.p.pid}/status").read().split("VmRSS:")[1].split()[0])
    # one connection sending garbage, one a request message larger than
    # max_request_bytes (1 MiB), then 300 that never speak
    g = socket.create_connection(("127.0.0.1", d.grpc))
    g.sendall(os.urandom(4096))
    huge = stalled_subscriber(d.grpc, body=b"\x00" + (4 << 20).to_bytes(4, "big") + b"\x1a" * 12000,
                              path="/geyser.Geyser/GetVersion", token="s3cret-token")
    idle = []
    for _ in range(300):
        try:
            idle.append(socket.create_connection(("127.0.0.1", d.grpc), timeout=2))
        except OSError:
            break
    time.sleep(2.5)
    st = d.stats()
    check(st.get("connectionsRefused", 0) > 0 and st.get("connections", 99) <= 64
          and st.get("connectionsAccepted", 0) + st.get("connectionsRefused", 0) >= 2 + len(idle),
          f"hostile: connections past max_connections are refused ({st.get('connectionsRefused')} refused, "
          f"{st.get('connectionsAccepted')} accepted, {st.get('connections')} open, {len(idle)} opened)")
    check(st.get("connectionsIdleClosed", 0) >= 50,
          f"hostile: connections that open no call are closed after idle_timeout_ms ({st.get('connectionsIdleClosed')})")
    check(st.get("h2Errors", 0) >= 1 or st.get("connectionsClosed", 0) >= 1, f"hostile: garbage ends its connection ({st})")
    check(st.get("callsBadRequest", 0) >= 1, f"hostile: a request past max_request_bytes is refused ({st.get('callsBadRequest')})")
    rss1 = int(open(f"/proc/{d.p.pid}/status").read().split("VmRSS:")[1].split()[0])
    check(rss1 - rss0 < 64 * 1024, f"hostile: sofd's memory grew by {rss1 - rss0} KiB only")
    for s in idle + [g, huge]:
        s.close()
    c = Client(tmp, {"endpoint": f"http://127.0.0.1:{d.grpc}", "protoDir": proto_dir, "token": "s3cret-token",
                     "tokenProbe": True, "subs": []}, "token")
    c.stop()
    tok = next((l["token"] for l in c.lines if "token" in l), {})
    check(tok == {"without": 16, "wrong": 16, "with": 0},
          f"x_token: UNAUTHENTICATED without or with a wrong token, OK with it, after the flood ({tok})")
    d.stop()

    # ---- 3. 100 subscribers, one stalled ----------------------------------------
    big_common = ["-n", "20", "--txns-per-slot", "2000", "--leaders", "3", "--leader-rotation", "2",
                  "--shred-version", "7", "-s", "34"]
    bpcap, bsched, brecs = sof_check.generate(gen, tmp, "big", *big_common)
    btruth = [r for r in brecs if r["type"] == "transaction"]
    _, bframes = sof_check.pcap_frames(bpcap)
    bpay = sof_check.udp_payloads(bframes, 8001)
    bcount = {}
    for t in btruth:
        for k in set(t["accountKeys"]):
            bcount[k] = bcount.get(k, 0) + 1
    # narrow filters (each a few percent of the traffic), all different
    keys = sorted(k for k, n in bcount.items() if n < 0.2 * len(btruth))
    kinds = []
    subs = []
    for i in range(100):
        k, k2 = keys[i % len(keys)], keys[(i * 7 + 3) % len(keys)]
        vote_of_k = next(t["simpleVote"] for t in btruth if k in t["accountKeys"])
        f = [{"accountInclude": [k]}, {"accountInclude": [k], "vote": vote_of_k},
             {"accountInclude": [k, k2]}, {"accountInclude": [k], "accountExclude": [k2]}][i % 4]
        kinds.append(f)
        subs.append({"name": f"s{i}", "kind": "subscribe_js" if i % 2 else "deshred_js",
                     "request": ({"transactions": {"f": f}} if i % 2 else {"deshredTransactions": {"f": f}})})
    d = Sofd(tmp, bsched, "many", ["grpc.max_streams_per_conn=128", "grpc.max_lag=10000",
                                   "grpc.stream_buffer_bytes=524288"])
    c = Client(tmp, {"endpoint": f"http://127.0.0.1:{d.grpc}", "protoDir": proto_dir, "subs": subs}, "many")
    check(c.ready, f"many: 100 subscriptions answered their pings ({c.stderr()})")
    stalled = stalled_subscriber(d.grpc)
    t0 = time.monotonic()
    while d.stats().get("subscribers", 0) < 101 and time.monotonic() - t0 < 10:
        time.sleep(0.1)
    check(d.stats().get("subscribers") == 101, "many: the stalled subscriber is subscribed")
    d.send(bpay, pause=0.01)
    d.settle()
    st = d.stats()
    stalled.close()
    res = c.stop()
    rc = d.stop()
    check(rc == 0, f"many: sofd exit 0 ({rc}: {d.err[-400:]})")
    summ = sof_check.summary_of(d.err)
    lanes = summ.get("plugins", {}).get("lanes", {})
    check(lanes and all(l.get("dropped") == 0 for l in lanes.values()),
          f"many: the plugin lanes dropped nothing ({lanes})")
    check(st.get("laggingDropped") == 1,
          f"many: the stalled subscriber, and only it, is dropped for lagging ({st.get('laggingDropped')})")
    check(st.get("subscribers") == 100, f"many: it no longer counts as a subscriber ({st.get('subscribers')})")
    check(st.get("lost") == 0, f"many: the others lost nothing ({st.get('lost')})")
    ok = nonempty = 0
    for i in range(100):
        r = res.get(f"s{i}", {})
        got = sorted((u["slot"], u["signature"]) for u in r.get("updates", []))
        want = expect(btruth, kinds[i])
        nonempty += len(want) > 0
        if r.get("error") is None and got == want:
            ok += 1
        elif ok == i:
            check(False, f"many: s{i} ({kinds[i]}) got {len(got)} of {len(want)} (error {r.get('error')})")
    check(ok == 100, f"many: all 100 subscribers got exactly their subset ({ok})")
    check(nonempty >= 90, f"many: the subsets are not empty ({nonempty} of 100)")

    # ---- 4. forks: a CONFIRMED subscriber never gets an orphaned slot's ---------
    # transactions (held, then dropped when the slot dies: counted); frames
    # reordered within 256 (datasets complete out of order): at PROCESSED an
    # index may be a lower bound, at CONFIRMED it is exact
    fpcap, fsched, frecs = sof_check.generate(gen, tmp, "forks", "-n", "12", "--txns-per-slot", "40",
                                              "--fork-every", "4", "--reorder", "256",
                                              "--shred-version", "7", "-s", "5")
    ftruth = [r for r in frecs if r["type"] == "transaction"]
    _, fframes = sof_check.pcap_frames(fpcap)
    d = Sofd(tmp, fsched, "forks", [], ["--forks-confirmed-depth", "2", "--forks-finalized-depth", "4"])
    c = Client(tmp, {"endpoint": f"http://127.0.0.1:{d.grpc}", "protoDir": proto_dir, "subs": [
        {"name": "confirmed", "kind": "subscribe",
         "request": {"transactions": {"c": {}}, "slots": {"s": {}}, "blocksMeta": {"m": {}}, "commitment": 1}},
        {"name": "processed", "kind": "subscribe", "request": {"transactions": {"p": {}}}},
    ]}, "forks")
    check(c.ready, f"forks: the subscription answered its ping ({c.stderr()})")
    d.send(sof_check.udp_payloads(fframes, 8001))
    d.settle()
    st = d.stats()
    res = c.stop()
    rc = d.stop()
    check(rc == 0, f"forks: sofd exit 0 ({rc}: {d.err[-400:]})")
    fsl = [l for l in sof_check.read_lines(d.slotlog) if l["type"] == "slot_status"
           and l.get("event") not in ("first_shred", "complete")]
    last = {}
    for l in fsl:
        last[l["slot"]] = l["status"]
    conf = {s for s, v in last.items() if v in ("confirmed", "finalized")}
    dead = {l["slot"] for l in fsl if l["status"] == "orphaned"}
    check(conf and dead and not conf & dead,
          f"forks: the tracker confirmed slots and orphaned others ({sorted(conf)}, {sorted(dead)})")
    r = res.get("confirmed", {})
    got = r.get("updates", [])
    check(r.get("error") is None, f"forks: no stream error ({r.get('error')})")
    check_txs("forks confirmed", got, [(s, sig) for s, sig in expect(ftruth, {}) if s in conf], by_sig_f :=
              {t["signature"]: t for t in ftruth}, ["c"])
    check(not {u["slot"] for u in got if u["type"] in ("transaction", "blockMeta")} & dead,
          "forks: nothing of an orphaned slot")
    check(sorted(u["slot"] for u in got if u["type"] == "blockMeta") == sorted(conf),
          "forks: one block meta per confirmed slot")
    fidx, fn = {}, {}
    for t in ftruth:
        fidx[t["signature"]] = fn.get(t["slot"], 0)
        fn[t["slot"]] = fn.get(t["slot"], 0) + 1
    ctx = [u for u in got if u["type"] == "transaction"]
    check(ctx and all(u["index"] == fidx[u["signature"]] for u in ctx),
          "forks, reordered: every CONFIRMED transaction index is the truth's")
    ptx = [u for u in res.get("processed", {}).get("updates", []) if u["type"] == "transaction"]
    check(len(ptx) == len(ftruth) and all(u["index"] <= fidx[u["signature"]] for u in ptx),
          f"forks, reordered: every PROCESSED transaction, its index the truth's or a lower bound "
          f"({sum(u['index'] == fidx[u['signature']] for u in ptx)} of {len(ptx)} exact)")
    check(st.get("commitDroppedDead", 0) > 0 and st.get("commitLost") == 0,
          f"forks: the orphaned slots' held updates were dropped and counted ({st.get('commitDroppedDead')})")

    # ---- 5. no subscriber can take a vote: votes are not encoded ----------
    # vote = false and failed = true filters only: the classifier refuses
    # simple votes on the pipeline (nothing copied, nothing in the ring);
    # the subscribers still get exactly their transactions
    d = Sofd(tmp, sched, "novote")
    c = Client(tmp, {"endpoint": f"http://127.0.0.1:{d.grpc}", "protoDir": proto_dir, "subs": [
        {"name": "nv", "kind": "subscribe", "request": {"transactions": {"nv": {"vote": False}}}},
        {"name": "ft", "kind": "subscribe", "request": {"transactions": {"f": {"failed": True}}}},
        {"name": "dnv", "kind": "deshred", "request": {"deshredTransactions": {"d": {"vote": False}}}},
    ]}, "novote")
    check(c.ready, f"novote: the subscriptions answered their pings ({c.stderr()})")
    d.send(payloads)
    d.settle()
    st = d.stats()
    res = c.stop()
    rc = d.stop()
    check(rc == 0, f"novote: sofd exit 0 ({rc}: {d.err[-400:]})")
    nonvote = expect(truth, {"vote": False})
    check(0 < len(nonvote) < len(truth) and st.get("ringTransactions") == len(nonvote),
          f"novote: only the {len(nonvote)} non-vote transactions of {len(truth)} were encoded "
          f"({st.get('ringTransactions')})")
    check_txs("novote subscribe", res.get("nv", {}).get("updates", []), nonvote, by_sig, ["nv"])
    check_txs("novote deshred", res.get("dnv", {}).get("updates", []), nonvote, by_sig, ["d"], meta=False)
    check(res.get("ft", {}).get("updates", None) == [], "novote: failed = true still gets nothing")
    check(st.get("lost") == 0, f"novote: nothing lost ({st.get('lost')})")

sof_check.cleanup_runtime()
print(f"sofd_grpc: {sof_check.checks} checks, {sof_check.failures} failed", file=sys.stderr)
sys.exit(1 if sof_check.failures or not sof_check.checks else 0)
