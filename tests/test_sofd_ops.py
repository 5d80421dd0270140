#!/usr/bin/env python3
"""sofd in operation (issue #18):

1. Prometheus: a sofd run on the UDP driver with --prometheus; /metrics is
   scraped before any shred (values not known yet, such as the window tip
   and the leader slot, are absent) and after a sof-gen capture was sent;
   both scrapes pass `promtool check metrics` (no output, exit 0), and the
   values agree with what was sent (sof_rx_packets_total = datagrams sent,
   the drop, malformed, rejected families and sof_rx_to_fec_total add up
   to it). Without promtool (Debian package prometheus) those checks are
   skipped with a message.
2. systemd: the same run has NOTIFY_SOCKET (a unix datagram socket made
   here) and WATCHDOG_USEC set: READY=1 arrives, WATCHDOG=1 messages
   arrive, and SIGTERM brings STOPPING=1 (only with libsystemd built in;
   otherwise skipped with a message).
3. Every shipped config/*.ini runs: a temporary copy with [topology]
   lcores remapped to 0,1, file paths pointed at a sof-gen capture's
   schedule and the test's files, and the ethdev device a net_pcap vdev
   (one rx_pcap per RX queue), or datagrams sent to the udp driver's
   socket; the transactions logged equal the truth, and a config passing
   no shred fails.

usage: test_sofd_ops.py SOF_GEN [SOFD]   (exit 77, skipped, without SOFD)
"""
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
from sof_check import check, summary_of, truth_txs, txs_of

if len(sys.argv) < 3 or not sys.argv[2]:
    print("sofd was not built (DPDK not found): skipping", file=sys.stderr)
    sys.exit(77)
gen, sofd = sys.argv[1], sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(here)
promtool = shutil.which("promtool")
PORT = 8002  # the shipped configs' shred port


free_port = sof_check.free_port
def send(payloads, port):
    sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i, pl in enumerate(payloads):
        sk.sendto(pl, ("127.0.0.1", port))
        if i % 64 == 63:
            time.sleep(0.002)
    sk.close()


def scrape(url):
    return urllib.request.urlopen(url, timeout=10).read().decode()


def promtool_check(body, what):
    if not promtool:
        return
    p = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, text=True)
    out = (p.stdout + p.stderr).strip()
    check(p.returncode == 0 and out == "", f"{what}: promtool check metrics is silent (rc {p.returncode}: {out[:2000]})")
    print(f"promtool check metrics ({what}): rc {p.returncode}, output {out!r}", file=sys.stderr)


def series(body):
    """{(name, labels string): value} of the samples."""
    out = {}
    for l in body.splitlines():
        if not l or l.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$", l)
        if m:
            out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def family_sum(s, name):
    return sum(v for (n, _), v in s.items() if n == name)


class Notify:
    """A unix datagram socket standing for systemd's notify socket."""

    def __init__(self, path):
        self.sk = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sk.bind(path)
        self.sk.settimeout(0.2)
        self.msgs = []
        self.stop = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop:
            try:
                self.msgs.append((time.time(), self.sk.recv(4096).decode()))
            except socket.timeout:
                pass

    def has(self, line):
        return any(line in m.split("\n") for _, m in self.msgs)

    def count(self, line):
        return sum(1 for _, m in self.msgs if line in m.split("\n"))

    def wait(self, line, secs):
        deadline = time.time() + secs
        while time.time() < deadline and not self.has(line):
            time.sleep(0.05)
        return self.has(line)

    def close(self):
        self.stop = True
        self.t.join()
        self.sk.close()


def systemd_built():
    """libsystemd linked into sofd?"""
    p = subprocess.run(["ldd", sofd], capture_output=True, text=True)
    return "libsystemd" in p.stdout


# ---- 1 + 2: Prometheus and systemd on one UDP run ------------------------------------------

def test_prometheus_systemd(tmp):
    pcap, sched, recs = sof_check.generate(gen, tmp, "prom", "--dst-port", str(PORT))
    _, frames = sof_check.pcap_frames(pcap)
    payloads = sof_check.udp_payloads(frames, PORT)
    port = free_port()
    txlog = os.path.join(tmp, "prom.txlog")
    sock_path = os.path.join(tmp, "notify.sock")
    nt = Notify(sock_path)
    env = dict(os.environ, NOTIFY_SOCKET=sock_path, WATCHDOG_USEC="400000")
    env.pop("WATCHDOG_PID", None)
    p = subprocess.Popen([sofd, *sof_check.eal("ops-prom", "0,1"), "--", "--driver", "udp",
                          "--udp-bind", "127.0.0.1", "--udp-listen", str(port), "--leader-schedule", sched,
                          "--prometheus", "127.0.0.1:0", "--txlog", txlog,
                          "--topology-rx", "0", "--topology-fec", "0", "--topology-extract", "1",
                          "--topology-dispatch", "1", "--topology-plugins", "1"],
                         stderr=subprocess.PIPE, text=True, env=env)
    m, lines = sof_check.wait_line(p.stderr, r"Prometheus metrics on (http://\S+)")
    url = m.group(1) if m else None
    check(url is not None, f"prometheus: address announced ({''.join(lines)[-400:]})")
    errbuf = []
    t = threading.Thread(target=lambda: errbuf.append(p.stderr.read()))
    t.start()
    sysd = systemd_built()
    if not sysd:
        print("SKIP: sofd built without libsystemd (libsystemd-dev): no sd_notify checks", file=sys.stderr)
    else:
        check(nt.wait("READY=1", 20), f"systemd: READY=1 received ({nt.msgs[:5]})")
    if not promtool:
        print("SKIP: promtool not found (Debian package prometheus; tools/install-deps.sh): "
              "no promtool check", file=sys.stderr)
    if url:
        time.sleep(0.3)
        body = scrape(url)
        promtool_check(body, "before any shred")
        s = series(body)
        check(s.get(("sof_rx_packets_total", "")) == 0, "prometheus: sof_rx_packets_total 0 before any shred")
        for n in ("sof_window_tip", "sof_window_fec_tip", "sof_leader_slot", "sof_slot_tip",
                  "sof_slot_confirmed", "sof_slot_finalized"):
            check(not any(k[0] == n for k in s), f"prometheus: {n} absent while unknown")
    send(payloads, port)
    want = len(truth_txs(recs))
    deadline = time.time() + 30
    while time.time() < deadline and len(sof_check.read_lines(txlog)) < want:
        time.sleep(0.2)
    time.sleep(0.5)
    if url:
        body = scrape(url)
        with open(os.path.join(tmp, "metrics.txt"), "w") as f:
            f.write(body)
        promtool_check(body, "after the capture")
        s = series(body)
        rx = s.get(("sof_rx_packets_total", ""))
        check(rx == len(payloads), f"prometheus: sof_rx_packets_total = datagrams sent ({rx} vs {len(payloads)})")
        parts = (family_sum(s, "sof_rx_dropped_total"), family_sum(s, "sof_rx_malformed_total"),
                 family_sum(s, "sof_rx_rejected_total"), s.get(("sof_rx_to_fec_total", ""), -1))
        check(sum(parts) == rx, f"prometheus: dropped + malformed + rejected + to_fec = received {parts}")
        check(("sof_rx_dropped_total", '{reason="wrong_port"}') in s and
              ("sof_rx_rejected_total", '{result="invalid_signature"}') in s and
              ("sof_plugin_lane_enqueued_total", '{lane="critical"}') in s,
              "prometheus: labelled families (reason, result, lane)")
        check(not any(k[0].startswith("sof_rx_drop_") for k in s), "prometheus: no per-reason metric names")
        check(s.get(("sof_window_tip", ""), 0) > 0 and s.get(("sof_leader_slot", ""), 0) > 0
              and ("sof_slot_tip", "") in s, "prometheus: tips and leader slot known once shreds flowed")
        check(s.get(("sof_extract_transactions_total", "")) == want,
              f"prometheus: sof_extract_transactions_total = the truth's ({s.get(('sof_extract_transactions_total', ''))} vs {want})")
        check(any(k[0] == "sof_role_busy_seconds_total" for k in s) and
              ("sof_http_responses_total", '{class="2xx"}') in s, "prometheus: role seconds, http families")
        check("# TYPE sof_rx_dropped_total counter" in body and body.count("# TYPE sof_rx_dropped_total ") == 1,
              "prometheus: one TYPE per family")
    if sysd:
        time.sleep(1.0)
        check(nt.count("WATCHDOG=1") >= 2, f"systemd: WATCHDOG=1 pings with WATCHDOG_USEC ({nt.count('WATCHDOG=1')})")
        check(not nt.has("STOPPING=1"), "systemd: no STOPPING=1 before the signal")
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    t.join()
    err = "".join(lines) + (errbuf[0] if errbuf else "")
    summ = summary_of(err)
    check(p.returncode == 0, f"prometheus run: exit 0 ({err[-400:]})")
    check(summ.get("stop") == "sigterm", "prometheus run: stopped by SIGTERM")
    check(txs_of(sof_check.read_lines(txlog)) == truth_txs(recs), "prometheus run: transactions equal the truth")
    if sysd:
        check(nt.wait("STOPPING=1", 5), f"systemd: STOPPING=1 on SIGTERM ({[m for _, m in nt.msgs][-3:]})")
        ready = [ts for ts, m in nt.msgs if "READY=1" in m.split("\n")]
        stopping = [ts for ts, m in nt.msgs if "STOPPING=1" in m.split("\n")]
        check(len(ready) == 1 and len(stopping) == 1 and ready[0] < stopping[0],
              "systemd: one READY=1, then one STOPPING=1")
    nt.close()

    # without NOTIFY_SOCKET nothing is sent (and sofd runs as before): covered by every other test


# ---- 3: every shipped config ------------------------------------------------------------------

def rewrite(src, dst, paths, lcore_map, drop_keys=()):
    """A copy of config src with [topology] lcores mapped (lcore_map), and
    the values of the keys in paths ({(section, key): new path}) replaced."""
    sec = None
    out = []
    for line in open(src):
        s = line.strip()
        m = re.match(r"^\[([^\]]+)\]$", s)
        if m:
            sec = m.group(1)
            out.append(line)
            continue
        m = re.match(r"^([A-Za-z0-9_]+)\s*=\s*(.*)$", s)
        if m and not s.startswith(";"):
            k, v = m.group(1), m.group(2)
            if sec == "topology":
                v = ",".join(str(lcore_map(int(x))) for x in v.split(","))
                line = f"{k} = {v}\n"
            elif (sec, k) in paths:
                line = f"{k} = {paths[(sec, k)]}\n"
        out.append(line)
    with open(dst, "w") as f:
        f.writelines(out)


def ini_get(path, section, key):
    sec = None
    for line in open(path):
        s = line.strip()
        m = re.match(r"^\[([^\]]+)\]$", s)
        if m:
            sec = m.group(1)
            continue
        m = re.match(r"^([A-Za-z0-9_]+)\s*=\s*(.*)$", s)
        if m and sec == section and m.group(1) == key:
            return m.group(2).strip()
    return None


def topology_lcores(path):
    out = set()
    sec = None
    for line in open(path):
        s = line.strip()
        m = re.match(r"^\[([^\]]+)\]$", s)
        if m:
            sec = m.group(1)
            continue
        m = re.match(r"^([A-Za-z0-9_]+)\s*=\s*(.*)$", s)
        if m and sec == "topology":
            out.update(int(x) for x in m.group(2).split(","))
    return sorted(out)


def test_config(tmp, name):
    src = os.path.join(repo, "config", name)
    tag = name.replace(".ini", "")
    pcap, sched, recs = sof_check.generate(gen, tmp, tag, "--dst-port", str(PORT))
    # a text list too (absolute slots, `solana leader-schedule` style)
    lst = os.path.join(tmp, tag + ".leaders.txt")
    with open(lst, "w") as f:
        for key, offs in json.load(open(sched)).items():
            for o in offs:
                f.write(f"  {o}       {key}\n")
    out = os.path.join(tmp, tag + ".txlog")
    paths = {}
    for sec, key, new in (("verify", "leader_schedule", sched), ("verify", "leader_list", lst),
                          ("plugin.txlog", "path", out), ("plugin.slotlog", "path", out + ".slots"),
                          ("plugin.metrics", "path", out + ".metrics"),
                          ("plugin.latency", "path", out + ".latency")):
        v = ini_get(src, sec, key)
        if v is not None and v != "-":  # "-": stdout, read from the pipe
            paths[(sec, key)] = new
    used = topology_lcores(src)
    remap = {lc: i % 2 for i, lc in enumerate(used)}
    cfg = os.path.join(tmp, name)
    rewrite(src, cfg, paths, lambda x: remap[x])
    driver = ini_get(cfg, "input", "driver") or "ethdev"
    rx_cnt = len((ini_get(cfg, "topology", "rx") or "0").split(","))
    stdout_log = ini_get(src, "plugin.txlog", "path") == "-"
    telemetry = (ini_get(cfg, "run", "telemetry") or "false") == "true"
    _, frames = sof_check.pcap_frames(pcap)
    if driver == "udp":
        args = sof_check.eal("ops-" + tag, "0,1", telemetry=telemetry)
        sent = sof_check.udp_payloads(frames, PORT)
    else:
        # one rx_pcap per RX queue: frames dealt round robin by slot is what
        # RSS would do by flow; deal whole FEC sets by frame order in chunks
        hdr, fr = sof_check.pcap_frames(pcap)
        qfiles = []
        for q in range(rx_cnt):
            qp = os.path.join(tmp, f"{tag}.q{q}.pcap")
            sof_check.write_pcap(qp, hdr, fr[q::rx_cnt] if rx_cnt > 1 else fr)
            qfiles.append(qp)
        vdev = "net_pcap0," + ",".join(f"rx_pcap={q}" for q in qfiles)
        args = sof_check.eal("ops-" + tag, "0,1", vdevs=[vdev], telemetry=telemetry)
        args[args.index("-m") + 1] = "2048"
        sent = fr
    cmd = [sofd, *args, "--", "--config", cfg]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE if stdout_log else subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    outbuf, errbuf = [], []
    to = threading.Thread(target=lambda: outbuf.append(p.stdout.read())) if stdout_log else None
    te = threading.Thread(target=lambda: errbuf.append(p.stderr.read()))
    te.start()
    if to:
        to.start()
    want = len(truth_txs(recs))
    vote_cfg = ini_get(src, "plugin.txlog", "vote") or "any"
    if vote_cfg != "any":
        want = sum(1 for t in truth_txs(recs) if (t[2] != "non_vote") == (vote_cfg == "true"))
    idle_exit = int(ini_get(cfg, "run", "idle_exit_ms") or "0")
    if driver == "udp":
        time.sleep(2.0)
        send(sent, PORT)
    deadline = time.time() + 60
    while time.time() < deadline and p.poll() is None:
        if not stdout_log and len(sof_check.read_lines(out)) >= want and not idle_exit:
            break
        if stdout_log and not idle_exit and driver == "udp":
            time.sleep(3.0)  # stdout is read at exit: give the pipeline time, then stop
            break
        time.sleep(0.2)
    if p.poll() is None:
        time.sleep(0.5)
        p.send_signal(signal.SIGINT)
    p.wait(timeout=60)
    te.join()
    if to:
        to.join()
    err = errbuf[0] if errbuf else ""
    lines = ([json.loads(l) for l in outbuf[0].splitlines() if l.startswith("{")] if stdout_log
             else sof_check.read_lines(out))
    s = summary_of(err)
    got = txs_of(lines)
    truth = truth_txs(recs)
    vote = ini_get(src, "plugin.txlog", "vote") or "any"  # docs/plugins.md: the txlog's filter
    if vote != "any":
        truth = [t for t in truth if (t[2] != "non_vote") == (vote == "true")]
    check(p.returncode == 0, f"config/{name}: exit 0 (rc {p.returncode}: {err[-600:]})")
    check(len(got) > 0 and s.get("accepted", 0) > 0, f"config/{name}: shreds pass ({s.get('accepted')} accepted, "
                                                     f"{len(got)} transactions, drops {s.get('drops')})")
    if not check(got == truth, f"config/{name}: transactions equal the truth, txlog vote = {vote} "
                               f"({len(got)} vs {len(truth)})"):
        print(err[-3000:], file=sys.stderr)
    check(s.get("rxPackets") == len(sent), f"config/{name}: every frame received ({s.get('rxPackets')} vs {len(sent)})")
    check(s.get("balanced") is True, f"config/{name}: balanced")
    print(f"config/{name}: {len(got)} transactions, {s.get('rxPackets')} packets", file=sys.stderr)


def main():
    tmp = tempfile.mkdtemp(prefix="sof-ops-")
    try:
        only = os.environ.get("SOF_OPS_ONLY", "")
        if not only or only == "prom":
            test_prometheus_systemd(tmp)
        configs = sorted(f for f in os.listdir(os.path.join(repo, "config")) if f.endswith(".ini"))
        check(len(configs) >= 3, f"shipped configs found ({configs})")
        for name in configs:
            if not only or only == name:
                test_config(tmp, name)
    finally:
        if sof_check.failures == 0:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}", file=sys.stderr)
    print(f"ops: {sof_check.checks} checks, {sof_check.failures} failed", file=sys.stderr)
    return 1 if sof_check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
