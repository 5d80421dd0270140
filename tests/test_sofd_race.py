#!/usr/bin/env python3
"""Feed race analytics (issue #19): which feed is fastest, per leader.

sofd runs on the UDP driver with telemetry, Prometheus and the race
plugin. The same sof-gen capture (3 leaders taking turns) is sent to its
socket from two sources on loopback: "fast" (a named source: --source
fast=127.0.0.1:PORT) sends each shred at its time, the other (unnamed:
"127.0.0.1:PORT") the same shred DELAY later, both from one pacing loop
so the skew is controlled. Checked:

- /sof/sources (rte_telemetry), the race plugin's lines (periodic and the
  final one) and Prometheus (sof_race_*, promtool when installed) name
  fast the winner: first-arrival share >= 95%, the other's <= 5%; the
  other's lag p50 within [DELAY/2, 2*DELAY] and fast's lead (negative)
  within the same band; FEC sets completed first go to fast;
- every shred is counted once per source (received = the shreds sent from
  it); first arrivals add up to the shreds accepted, received to accepted
  + duplicates, FEC sets completed first to the sets completed;
- per-leader rows (/sof/sources,<leader> and the plugin's "leaders") add
  up to the totals, and name the capture's three leaders;
- the transaction log equals the ground truth; the counters balance.
- a config with [source.NAME] addr and [plugin.race] runs the same way;
  bad [source.*] entries are refused with the key named; with [race]
  enabled = false the plugin writes one line saying so.

usage: test_sofd_race.py SOF_GEN [SOFD]   (exit 77, skipped, without SOFD)
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
promtool = shutil.which("promtool")
PORT = 8001
DELAY = 0.200    # s: the slow source's skew (the udp driver stamps each datagram with the kernel's
                 # receive time, so a loaded run that reads late still measures it)
SPACING = 0.0005  # s between shreds of one source


def send_two(payloads, dst, sk_fast, sk_slow):
    """fast sends payload i at i*SPACING, slow at i*SPACING + DELAY."""
    evs = sorted([(i * SPACING, 0, i) for i in range(len(payloads))] +
                 [(i * SPACING + DELAY, 1, i) for i in range(len(payloads))])
    t0 = time.perf_counter()
    for t, who, i in evs:
        while time.perf_counter() - t0 < t:
            pass
        (sk_fast if who == 0 else sk_slow).sendto(payloads[i], dst)


def telemetry(prefix, cmds):
    path = os.path.join(sof_check.runtime_dir(prefix), "dpdk_telemetry.v2")
    out = {}
    c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    c.connect(path)
    json.loads(c.recv(16384).decode())
    for cmd in cmds:
        c.send(cmd.encode())
        r = json.loads(c.recv(1 << 20).decode())
        out[cmd] = r.get(cmd.split(",")[0])
    c.close()
    return out


def tel_rows(d):
    """{name: row} of a /sof/sources answer."""
    rows = {}
    for i in range(d.get("rows_shown", 0)):
        p = f"s{i}_"
        rows[d[p + "name"]] = {k[len(p):]: v for k, v in d.items() if k.startswith(p)}
    return rows


def series(body):
    out = {}
    for l in body.splitlines():
        if not l or l.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$", l)
        if m:
            out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def check_winner(what, rows, fast, slow, n_sent):
    """rows: {name: {received, first, lag_p50_us (or lagUs.p50), ...}}"""
    f, s = rows.get(fast, {}), rows.get(slow, {})
    check(f.get("received") == n_sent and s.get("received") == n_sent,
          f"{what}: each source received every shred ({f.get('received')}, {s.get('received')} vs {n_sent})")
    tot = (f.get("first", 0) + s.get("first", 0)) or 1
    share_f = f.get("first", 0) / tot
    check(share_f >= 0.95, f"{what}: {fast} wins the first arrivals ({share_f:.3f})")
    check(s.get("first", 0) / tot <= 0.05, f"{what}: {slow} rarely first ({s.get('first')})")
    d_us = DELAY * 1e6
    lag_s, lag_f = s.get("p50"), f.get("p50")
    check(lag_s is not None and d_us / 2 <= lag_s <= 2 * d_us,
          f"{what}: {slow}'s lag p50 {lag_s} us is about the delay ({d_us:.0f} us)")
    check(lag_f is not None and -2 * d_us <= lag_f <= -d_us / 2,
          f"{what}: {fast}'s lead p50 {lag_f} us is about minus the delay")
    print(f"{what}: {fast} first {f.get('first')}/{f.get('received')}, {slow} first {s.get('first')}; "
          f"lag p50 {slow} {lag_s} us, {fast} {lag_f} us; p90 {s.get('p90')} p99 {s.get('p99')}",
          file=sys.stderr)


def plugin_rows(srcs):
    return {r["name"]: dict(r, p50=(r["lagUs"] or {}).get("p50"), p90=(r["lagUs"] or {}).get("p90"),
                            p99=(r["lagUs"] or {}).get("p99")) for r in srcs}


def run(tmp, use_config):
    pcap, sched, recs = sof_check.generate(gen, tmp, "race", "--dst-port", str(PORT), "--slots", "9",
                                           "--leaders", "3", "--leader-rotation", "2")
    _, frames = sof_check.pcap_frames(pcap)
    payloads = sof_check.udp_payloads(frames, PORT)
    leaders = set(json.load(open(sched)))
    name = "cfg" if use_config else "flags"
    sk_fast = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sk_fast.bind(("127.0.0.1", 0))
    sk_slow = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sk_slow.bind(("127.0.0.1", 0))
    fast_port, slow_port = sk_fast.getsockname()[1], sk_slow.getsockname()[1]
    slow = f"127.0.0.1:{slow_port}"
    port = sof_check.free_port()
    txlog = os.path.join(tmp, f"{name}.txlog")
    racelog = os.path.join(tmp, f"{name}.race.jsonl")
    args = sof_check.eal("race", "0,1", telemetry=True)
    prefix = sof_check.prefixes[-1]
    common = ["--driver", "udp", "--udp-bind", "127.0.0.1", "--udp-listen", str(port),
              "--leader-schedule", sched, "--prometheus", "127.0.0.1:0", "--txlog", txlog,
              "--plugins", "txlog,race",
              "--topology-rx", "0", "--topology-fec", "0", "--topology-extract", "1",
              "--topology-dispatch", "1", "--topology-plugins", "1"]
    if use_config:
        ini = os.path.join(tmp, "race.ini")
        with open(ini, "w") as f:
            f.write(f"[race]\nleaders = 8\n\n[source.fast]\naddr = 127.0.0.1:{fast_port}\n\n"
                    f"[source.unused]\naddr = 10.9.9.9\n\n"
                    f"[plugin.race]\npath = {racelog}\ninterval_ms = 200\n")
        extra = ["--config", ini]
    else:
        extra = ["--source", f"fast=127.0.0.1:{fast_port}", "--plugin-opt", f"race.path={racelog}",
                 "--plugin-opt", "race.interval_ms=200"]
    p = subprocess.Popen([sofd, *args, "--", *common, *extra], stderr=subprocess.PIPE, text=True)
    # the lag is measured when sofd reads a datagram: send only once its
    # pipeline runs ("udp input ..."), or the first frames of both sources
    # wait in the socket together and are read in one burst
    _, lines = sof_check.wait_line(p.stderr, r"sofd: udp input")
    m = re.search(r"Prometheus metrics on (http://\S+)", "".join(lines))
    url = m.group(1) if m else None
    check(url is not None and "udp input" in lines[-1], f"{name}: sofd up ({''.join(lines)[-400:]})")
    errbuf = []
    t = threading.Thread(target=lambda: errbuf.append(p.stderr.read()))
    t.start()
    time.sleep(0.3)
    send_two(payloads, ("127.0.0.1", port), sk_fast, sk_slow)
    want = len(truth_txs(recs))
    deadline = time.time() + 30
    while time.time() < deadline and len(sof_check.read_lines(txlog)) < want:
        time.sleep(0.2)
    time.sleep(0.6)  # a periodic race line after the last shred
    n = len(payloads)

    # telemetry
    tel = {}
    try:
        tel = telemetry(prefix, ["/sof/sources"])
        ids = tel["/sof/sources"].get("leader_ids", [])
        tel.update(telemetry(prefix, [f"/sof/sources,{lid}" for lid in ids]))
    except OSError as e:
        check(False, f"{name}: telemetry: {e}")
    if tel:
        top = tel["/sof/sources"]
        rows = tel_rows(top)
        check(top.get("enabled") == 1, f"{name}: /sof/sources enabled")
        check(set(rows) >= {"fast", slow, "other"}, f"{name}: /sof/sources rows {sorted(rows)}")
        check_winner(f"{name}: /sof/sources", {k: dict(v, p50=v.get("lag_p50_us"), p90=v.get("lag_p90_us"),
                                                       p99=v.get("lag_p99_us")) for k, v in rows.items()},
                     "fast", slow, n)
        ids = top.get("leader_ids", [])
        check(set(ids) - {"other"} == leaders, f"{name}: the tracked leaders are the schedule's ({ids})")
        for field in ("received", "first", "fec_sets_first", "lag_samples"):
            for src in ("fast", slow):
                per = sum(tel_rows(tel[f"/sof/sources,{lid}"]).get(src, {}).get(field, 0) for lid in ids)
                check(per == rows[src][field],
                      f"{name}: /sof/sources per-leader {field} of {src} add up ({per} vs {rows[src][field]})")
        check(rows["fast"]["fec_sets_first"] > 0 and rows[slow]["fec_sets_first"] <= rows["fast"]["fec_sets_first"] // 20,
              f"{name}: FEC sets completed first go to fast ({rows['fast']['fec_sets_first']} vs "
              f"{rows[slow]['fec_sets_first']})")
    # Prometheus
    if url:
        body = urllib.request.urlopen(url, timeout=10).read().decode()
        if promtool:
            pr = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, text=True)
            out = (pr.stdout + pr.stderr).strip()
            check(pr.returncode == 0 and out == "", f"{name}: promtool check metrics is silent ({out[:1500]})")
        s = series(body)
        check(s.get(("sof_race_shreds_total", '{source="fast"}')) == n and
              s.get(("sof_race_shreds_total", '{source="%s"}' % slow)) == n,
              f"{name}: sof_race_shreds_total per source = shreds sent")
        ff = s.get(("sof_race_first_total", '{source="fast"}'), 0)
        check(ff >= 0.95 * n, f"{name}: sof_race_first_total{{source=fast}} {ff} of {n}")
        lag = s.get(("sof_race_lag_p50_seconds", '{source="%s"}' % slow))
        check(lag is not None and DELAY / 2 <= lag <= 2 * DELAY, f"{name}: sof_race_lag_p50_seconds {lag}")
        check(("sof_race_overflow_total", '{kind="source"}') in s, f"{name}: sof_race_overflow_total")
        if use_config:
            check(s.get(("sof_race_shreds_total", '{source="unused"}')) == 0,
                  f"{name}: a named source that sent nothing is listed at 0")
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    t.join()
    sk_fast.close()
    sk_slow.close()
    err = "".join(lines) + (errbuf[0] if errbuf else "")
    summ = summary_of(err)
    check(p.returncode == 0, f"{name}: sofd exit 0 ({err[-600:]})")
    check(txs_of(sof_check.read_lines(txlog)) == truth_txs(recs), f"{name}: transactions equal the truth")
    drops = summ.get("drops", {})
    check(summ.get("rxPackets") == 2 * n, f"{name}: every datagram received ({summ.get('rxPackets')} vs {2 * n})")
    check(summ.get("balanced") is True, f"{name}: the counters balance")
    # the race plugin
    rl = sof_check.read_lines(racelog)
    check(len(rl) >= 2 and rl[-1].get("final") is True and all(not l["final"] for l in rl[:-1]),
          f"{name}: race plugin: periodic lines and a final one ({len(rl)})")
    if rl:
        last = rl[-1]
        check(last.get("enabled") is True and last.get("type") == "race", f"{name}: race plugin line")
        rows = plugin_rows(last.get("sources", []))
        check_winner(f"{name}: race plugin", rows, "fast", slow, n)
        first_sum = sum(r["first"] for r in rows.values())
        recv_sum = sum(r["received"] for r in rows.values())
        sets_sum = sum(r["fecSetsFirst"] for r in rows.values())
        # every first arrival went on to fec: accepted there, late there (its
        # set already recovered), or lost on a full ring
        to_fec = summ.get("accepted", 0) + drops.get("late", 0) + drops.get("ring_full", 0)
        check(first_sum == to_fec,
              f"{name}: first arrivals add up to the shreds passed to fec ({first_sum} vs {to_fec})")
        check(recv_sum == first_sum + drops.get("duplicate", 0),
              f"{name}: received = first arrivals + duplicates ({recv_sum} vs {drops.get('duplicate')})")
        fec = summ.get("fec", summ)
        sc = fec.get("setsComplete")
        check(sets_sum == sc, f"{name}: FEC sets completed first add up to the sets completed ({sets_sum} vs {sc})")
        check(rows.get("fast", {}).get("named") is True and rows["fast"]["addr"] == f"127.0.0.1:{fast_port}"
              and rows.get(slow, {}).get("named") is False, f"{name}: names and addresses")
        lrows = last.get("leaders", [])
        check({l["leader"] for l in lrows} == leaders, f"{name}: plugin leader rows are the schedule's leaders")
        for field in ("received", "first", "fecSetsFirst", "lagSamples"):
            for src in ("fast", slow):
                per = sum(r[field] for l in lrows for r in l["sources"] if r["name"] == src)
                check(per == rows.get(src, {}).get(field), f"{name}: plugin per-leader {field} of {src} add up ({per})")
    return summ


def refused(tmp):
    """Bad [source.*] entries: exit 2 with the entry named."""
    cases = [
        ("[source.a]\naddr = 1.2.3\n", "addr"),
        ("[source.a]\naddr = 1.2.3.4:0\n", "port"),
        ("[source.a]\nport = 1\n", "unknown key 'port'"),
        ("[source.a]\naddr = 1.2.3.4\n[source.b]\naddr = 1.2.3.4\n", "the address of [source.a]"),
        ("[source.other]\naddr = 1.2.3.4\n", "reserved"),
        ("[race]\nsources = 0\n", "sources"),
    ]
    for i, (body, want) in enumerate(cases):
        ini = os.path.join(tmp, f"bad{i}.ini")
        with open(ini, "w") as f:
            f.write(body)
        p = subprocess.run([sofd, *sof_check.eal("race-bad", "0"), "--", "--config", ini, "--leader",
                            "11111111111111111111111111111111"], capture_output=True, text=True, timeout=60)
        check(p.returncode == 2 and want in p.stderr, f"refused {body!r}: rc {p.returncode}, {p.stderr.strip()[:300]}")
    p = subprocess.run([sofd, *sof_check.eal("race-bad", "0"), "--", "--source", "x y=1.2.3.4",
                        "--leader", "11111111111111111111111111111111"], capture_output=True, text=True, timeout=60)
    check(p.returncode == 2 and "source name" in p.stderr, f"--source with a bad name refused ({p.stderr.strip()[:200]})")


def disabled(tmp):
    """[race] enabled = false: no tables, the plugin says so, /metrics has no sof_race_*."""
    out = os.path.join(tmp, "off.jsonl")
    p = subprocess.run([sofd, *sof_check.eal("race-off", "0"), "--", "--driver", "udp", "--udp-bind", "127.0.0.1",
                        "--udp-listen", str(sof_check.free_port()), "--leader", "11111111111111111111111111111111",
                        "--idle-exit-ms", "300", "--race-enabled=false", "--plugins", "race",
                        "--plugin-opt", f"race.path={out}"], capture_output=True, text=True, timeout=60)
    rl = sof_check.read_lines(out)
    check(p.returncode == 0 and len(rl) == 1 and rl[0].get("enabled") is False and rl[0].get("final") is True
          and "sources" not in rl[0], f"race disabled: one final line saying so ({rl}, rc {p.returncode})")


def main():
    tmp = tempfile.mkdtemp(prefix="sof-race-")
    try:
        run(tmp, use_config=False)
        run(tmp, use_config=True)
        refused(tmp)
        disabled(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        sof_check.cleanup_runtime()
    print(f"sofd_race: {sof_check.checks} checks, {sof_check.failures} failed", file=sys.stderr)
    sys.exit(1 if sof_check.failures else 0)


if __name__ == "__main__":
    main()
