"""Shared pieces of the provider tests (test_provider.py,
test_provider_join.py): the test servers (tests/provider/server.js,
ws_server.js), sofd with a provider, the recorded transactions of a sof-gen
capture and how their outcomes are compared."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import sof_check
from sof_check import check

here = os.path.dirname(os.path.abspath(__file__))
srv_dir = os.path.join(here, "provider")
proto_dir = os.path.join(os.path.dirname(here), "proto")
node = None
sofd = None


def setup(argv):
    """(sof-gen, sofd, sof-provider) from the test's arguments; exits 77
    without sofd, node or tests/provider/node_modules."""
    global node, sofd
    if len(argv) < 3 or not argv[2]:
        print("sofd was not built (DPDK not found): skipping", file=sys.stderr)
        sys.exit(77)
    gen, sofd = argv[1], argv[2]
    tool = argv[3] if len(argv) > 3 else os.path.join(os.path.dirname(sofd), "..", "tools", "sof-provider")
    node = subprocess.run(["sh", "-c", "command -v node"], capture_output=True, text=True).stdout.strip()
    if not node or not os.path.isdir(os.path.join(srv_dir, "node_modules", "@grpc", "grpc-js")):
        print("node or tests/provider/node_modules missing (npm ci in tests/provider): skipping", file=sys.stderr)
        sys.exit(77)
    return gen, sofd, tool


ERR = "0800000000011900000001000000"  # bincode InstructionError(0, Custom(1))


class Server:
    """The test Yellowstone server on a free port; state keeps its clock
    across restarts."""

    def __init__(self, tmp, records, tag, port=None, extra=(), ws=False):
        self.ws = ws
        self.port = port or sof_check.free_port(socket.SOCK_STREAM)
        self.state = os.path.join(tmp, tag + ".state")
        self.log = os.path.join(tmp, tag + ".requests.jsonl")
        self.records, self.extra = records, list(extra)
        self.p = None

    def start(self, extra=()):
        if self.ws:
            cmd = [node, os.path.join(srv_dir, "ws_server.js"), "--port", str(self.port)]
        else:
            cmd = [node, os.path.join(srv_dir, "server.js"), "--port", str(self.port), "--proto-dir", proto_dir]
        self.p = subprocess.Popen([*cmd, "--records", self.records, "--state", self.state,
                                   "--log", self.log, *self.extra, *extra],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        check(line.strip() == "listening", f"test server up on {self.port} ({line.strip() or self.p.stderr.read()})")

    def kill(self):
        if self.p and self.p.poll() is None:
            self.p.kill()
            self.p.wait()

    def requests(self, pings=False):
        """The subscriptions the server decoded (with pings: the ping requests too)."""
        if not os.path.exists(self.log):
            return []
        return [r for r in map(json.loads, open(self.log)) if pings or "ping" not in r]


def metric(text, name):
    m = re.search(rf"^sof_provider_{name}(?:_total)? (\d+)$", text, re.M)
    return int(m.group(1)) if m else None


class Sofd:
    def __init__(self, tmp, tag, url, opts=()):
        self.prom = sof_check.free_port(socket.SOCK_STREAM)
        self.txlog = os.path.join(tmp, tag + ".tx.jsonl")
        self.slotlog = os.path.join(tmp, tag + ".slots.jsonl")
        self.p = subprocess.Popen(
            [sofd, *sof_check.eal("prov"), "--", "--driver", "provider", "--provider-url", url,
             "--plugins", "txlog,slotlog", "--txlog", self.txlog, "--plugin-opt", "txlog.raw=true",
             "--plugin-opt", "txlog.flush_ms=0", "--plugin-opt", f"slotlog.path={self.slotlog}",
             "--plugin-opt", "slotlog.flush_ms=0", "--prometheus", f"127.0.0.1:{self.prom}",
             "--provider-backoff-min-ms", "50", "--provider-backoff-max-ms", "400", *opts],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def txs(self):
        if not os.path.exists(self.txlog):
            return []
        out = []
        for l in open(self.txlog):
            if l.endswith("\n"):
                r = json.loads(l)
                if r["type"] == "transaction":
                    out.append(r)
        return out

    def metrics(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.prom}/metrics", timeout=5) as r:
                return r.read().decode()
        except Exception as e:  # noqa: BLE001 (the checks using it report it)
            return f"# error {e}"

    def wait_txs(self, n, limit=60):
        t0 = time.monotonic()
        while time.monotonic() - t0 < limit and self.p.poll() is None:
            if len(self.txs()) >= n:
                return True
            time.sleep(0.1)
        return False

    def stop(self):
        m = self.metrics()
        self.p.send_signal(signal.SIGINT)
        try:
            _, err = self.p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            _, err = self.p.communicate()
        check(self.p.returncode == 0, f"sofd exit 0 after SIGINT ({self.p.returncode}: {err[-400:]})")
        return m


def promtool_ok(text, what):
    """promtool check metrics on a /metrics text (skipped without promtool)."""
    import shutil
    if not shutil.which("promtool"):
        return
    p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    check(p.returncode == 0, f"{what}: promtool check metrics ({(p.stdout + p.stderr).strip()[-300:]})")


def key(r):
    return (r["slot"], r["signature"])


def outcome_of(r):
    """(slot, signature, raw, err, fee, log count) of a txlog line."""
    m = r.get("meta") or {}
    return (r["slot"], r["signature"], r.get("transaction"), m.get("err"), m.get("fee"), m.get("logMessages"))


def want_of(rec):
    return (rec["slot"], rec["signature"], rec["raw"], rec["err"] if rec["failed"] else None, rec["fee"],
            len(rec["logs"]))


class Records:
    """The capture's transactions through the shred path (checked against
    sof-gen's truth), every 5th marked failed, each with a fee and logs,
    written as the test servers' records file."""

    def __init__(self, gen, tmp):
        pcap, sched, truth = sof_check.generate(gen, tmp, "prov", "-n", "8", "--txns-per-slot", "60",
                                                "--vote-share", "0.5", "--shred-version", "7", "-s", "22")
        want_keys = [(s_, g) for s_, g, _ in sof_check.truth_txs(truth)]
        shred_tx = os.path.join(tmp, "shreds.tx.jsonl")
        p = subprocess.run([sofd, *sof_check.eal("prov", "0", pcap), "--", "--leader-schedule", sched,
                            "--shred-version", "7", "--udp-port", "8001", "--plugins", "txlog", "--txlog", shred_tx,
                            "--plugin-opt", "txlog.raw=true", "--idle-exit-ms", "1500"],
                           capture_output=True, text=True, timeout=120)
        check(p.returncode == 0, f"recording run on the shred path ({p.stderr[-300:]})")
        shred_lines = [json.loads(l) for l in open(shred_tx)]
        shred_lines = [r for r in shred_lines if r["type"] == "transaction"]
        check(sorted(key(r) for r in shred_lines) == want_keys,
              f"the recording holds the truth's transactions ({len(shred_lines)} of {len(want_keys)})")
        records = []
        for i, r in enumerate(sorted(shred_lines, key=lambda r: (r["slot"], r["entry"]))):
            failed = i % 5 == 2
            records.append({"slot": r["slot"], "signature": r["signature"], "raw": r["transaction"],
                            "failed": failed, "err": ERR if failed else "", "fee": 5000 + i,
                            "logs": [f"Program log: {k}" for k in range(i % 4)], "vote": r["kind"] == "vote_only"})
        rec_path = os.path.join(tmp, "records.jsonl")
        with open(rec_path, "w") as f:
            for r in records:
                f.write(json.dumps(r) + "\n")
        n = len(records)
        n_failed = sum(r["failed"] for r in records)
        want = sorted(want_of(r) for r in records)
        slots = sorted({r["slot"] for r in records})
        check(n > 300 and n_failed > 50, f"records: {n} transactions, {n_failed} failed, {len(slots)} slots")
        self.pcap, self.sched, self.truth, self.want_keys = pcap, sched, truth, want_keys
        self.records, self.path, self.n, self.n_failed, self.want, self.slots = records, rec_path, n, n_failed, want, slots
