#!/usr/bin/env python3
"""sof-gen-tx, sof-gen's DPDK transmit mode.

- net_pcap: `--count` = one pass writes exactly the frames `sof-gen -o`
  writes with the same content options (byte for byte, in order), for
  plain and impaired content (runts, reordering, injected sets), in
  zero-copy and --copy modes, odd bursts, paced and unpaced; a pass and a
  bit wraps around to the first frame; the generator's summary and truth
  are sof-gen's;
- net_null: a few seconds at a target rate: exit 0, tx_stats lines each
  second at or under the rate, a summary with frames sent and
  offered = sent + dropped, the port's own counters agreeing; --copy;
  --pace sleep keeps the rate with a sleep per burst (the default spins,
  no sleep); SIGINT stops cleanly with a summary ("stop": "sigint");
- bad invocations (no such port, bad rate / burst / pace, unknown option, a
  bad vdev, too many frames, nothing to send) exit non-zero with a clear
  message; --help exits 0.

usage: test_gen_tx.py SOF_GEN [SOF_GEN_TX]
Skipped (77) without SOF_GEN_TX: it is built only when DPDK is found.
"""
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

import sof_check
from sof_check import check

if len(sys.argv) < 3 or not sys.argv[2] or not os.path.exists(sys.argv[2]):
    print("SKIP: sof-gen-tx was not built (DPDK not found when meson was set up)")
    sys.exit(77)
gen, gen_tx = sys.argv[1], sys.argv[2]
runs = 0


prefixes = []


def eal(vdev):
    """EAL arguments of one run: no hugepages, no PCI, own file prefix."""
    global runs
    runs += 1
    prefixes.append(f"sofgentx{os.getpid()}_{runs}")
    args = ["--no-huge", "-m", "512", "--no-pci", "--no-shconf",
            f"--file-prefix={prefixes[-1]}", "-l", "0"]
    if vdev:
        args += ["--vdev", vdev]
    return args


def tx(vdev, *opts, timeout=60):
    p = subprocess.run([gen_tx, *eal(vdev), "--", *opts], capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, json_lines(p.stdout), p.stderr


def json_lines(text):
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return out


def pcap_frames(path):
    """Frames of a classic pcap (either byte order, us or ns timestamps)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError(f"{path}: not a classic pcap")
    linktype = struct.unpack(e + "I", data[20:24])[0]
    frames, at = [], 24
    while at < len(data):
        _, _, caplen, wirelen = struct.unpack(e + "IIII", data[at:at + 16])
        at += 16
        frames.append((data[at:at + caplen], wirelen))
        at += caplen
    return linktype, frames


def summary_of(lines):
    s = [l for l in lines if l.get("type") == "tx_summary"]
    return s[-1] if s else None


def exact(tmp, name, content, tx_opts, extra_frames=0):
    """sof-gen's pcap vs one pass (+ extra_frames) of sof-gen-tx into net_pcap."""
    ref = os.path.join(tmp, name + ".ref.pcap")
    out = os.path.join(tmp, name + ".tx.pcap")
    files = {k: os.path.join(tmp, f"{name}.{k}") for k in ("sum_ref", "sum_tx", "truth_ref", "truth_tx")}
    p = subprocess.run([gen, "-o", ref, "--summary", files["sum_ref"], "--truth", files["truth_ref"], *content],
                       capture_output=True, text=True)
    if not check(p.returncode == 0, f"{name}: sof-gen: {p.stderr.strip()}"):
        return
    _, ref_frames = pcap_frames(ref)
    n = len(ref_frames)
    rc, lines, err = tx(f"net_pcap0,tx_pcap={out}", "--count", str(n + extra_frames),
                        "--summary", files["sum_tx"], "--truth", files["truth_tx"], *content, *tx_opts)
    if not check(rc == 0, f"{name}: sof-gen-tx exit {rc}: {err.strip()[-800:]}"):
        return
    s = summary_of(lines)
    if not check(s is not None, f"{name}: no tx_summary line"):
        return
    check(s["framesPerPass"] == n, f"{name}: framesPerPass {s['framesPerPass']} != sof-gen's {n}")
    check(s["offered"] == s["sent"] == n + extra_frames and s["dropped"] == 0,
          f"{name}: offered/sent/dropped {s['offered']}/{s['sent']}/{s['dropped']}, expected {n + extra_frames}/0")
    check(s["stop"] == "count", f"{name}: stop {s['stop']}")
    check(s["portStats"]["opackets"] == s["sent"], f"{name}: port opackets {s['portStats']} != sent {s['sent']}")
    check(s["bytes"] == sum(len(f) for f, _ in (ref_frames * 2)[:n + extra_frames]),
          f"{name}: bytes {s['bytes']}")
    linktype, got = pcap_frames(out)
    check(linktype == 1, f"{name}: linktype {linktype}")
    want = (ref_frames * (2 + extra_frames // max(n, 1)))[:n + extra_frames]
    check(len(got) == len(want), f"{name}: {len(got)} frames written, expected {len(want)}")
    bad = [i for i, (g, w) in enumerate(zip(got, want)) if g[0] != w[0] or g[1] != len(w[0])]
    check(not bad, f"{name}: {len(bad)} frames differ from sof-gen's, first at index {bad[:1]}")
    check(open(files["sum_ref"]).read() == open(files["sum_tx"]).read(),
          f"{name}: the generator summaries differ")
    check(open(files["truth_ref"], "rb").read() == open(files["truth_tx"], "rb").read(),
          f"{name}: the truths differ")
    return n


def null_run(tmp):
    """A few seconds at a target rate into net_null."""
    rate, secs = 400000, 3
    rc, lines, err = tx("net_null0", "--duration", str(secs), "--rate", str(rate))
    if not check(rc == 0, f"net_null: exit {rc}: {err.strip()[-800:]}"):
        return
    stats = [l for l in lines if l.get("type") == "tx_stats"]
    s = summary_of(lines)
    check(len(stats) >= secs - 1, f"net_null: {len(stats)} tx_stats lines in {secs} s")
    for l in stats:
        check(l["pps"] > 0 and l["gbps"] > 0 and l["wireGbps"] > l["gbps"], f"net_null: stats line {l}")
        # Never above the target (bursts of 32 at most ahead): pacing. How
        # close it gets from below depends on the machine's load, a figure
        # for bench/bench_gen_tx.sh, not an assertion here.
        check(l["pps"] <= rate * 1.02 + 64, f"net_null: {l['pps']} pps over the {rate} target")
    if not check(s is not None, "net_null: no tx_summary line"):
        return
    check(s["sent"] > 0 and s["stop"] == "duration", f"net_null: summary {s}")
    check(s["offered"] == s["sent"] + s["dropped"], f"net_null: unaccounted frames: {s}")
    check(s["dropped"] == 0 and s["shortBursts"] == 0, f"net_null: drops: {s}")
    check(s["portStats"]["opackets"] == s["sent"] and s["portStats"]["oerrors"] == 0,
          f"net_null: port counters {s['portStats']} vs sent {s['sent']}")
    check(abs(s["seconds"] - secs) < 0.1, f"net_null: ran {s['seconds']} s for --duration {secs}")
    check(s["passes"] > 1, f"net_null: {s['passes']} passes")
    check(s["sleeps"] == 0, f"net_null: the default pace spins, it never sleeps: {s}")

    # --pace sleep: the same schedule, waited for in clock_nanosleep (a
    # burst every 50 us: each wait sleeps); the rate is kept, never passed.
    rate, secs = 20000, 2
    rc, lines, err = tx("net_null0", "--duration", str(secs), "--rate", str(rate), "--burst", "1",
                        "--pace", "sleep", "--stats-interval", "0")
    s = summary_of(lines)
    if check(rc == 0 and s is not None, f"net_null --pace sleep: exit {rc}: {err.strip()[-800:]}"):
        # never over the rate; under it only when a wake-up came over 1 ms
        # late (a loaded machine) and the sender said so (behind)
        check(0 < s["sent"] <= rate * secs * 1.02 + 64 and s["dropped"] == 0
              and (s["sent"] >= rate * secs * 0.9 or s["behind"] > 0),
              f"net_null --pace sleep: {s['sent']} frames in {secs} s at {rate}/s: {s}")
        check(s["sent"] // 2 <= s["sleeps"] <= s["offered"],
              f"net_null --pace sleep: {s['sleeps']} sleeps for {s['offered']} bursts of 1, 50 us apart")

    # --copy, unpaced, burst 64: txonly's way.
    rc, lines, err = tx("net_null0", "--duration", "1", "--copy", "--burst", "64", "--stats-interval", "0.5")
    s = summary_of(lines)
    if check(rc == 0 and s is not None, f"net_null --copy: exit {rc}: {err.strip()[-800:]}"):
        check(s["mode"] == "copy" and s["sent"] > 0 and s["offered"] == s["sent"] + s["dropped"]
              and s["dropped"] == 0 and s["portStats"]["opackets"] == s["sent"], f"net_null --copy: {s}")
        check(sum(1 for l in lines if l.get("type") == "tx_stats") >= 1, "net_null --copy: no tx_stats line")

    # Until a signal: SIGINT stops it cleanly.
    p = subprocess.Popen([gen_tx, *eal("net_null0"), "--", "--rate", "100000"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    line = ""
    while time.time() < deadline and '"tx_stats"' not in line:  # running: its first second is out
        line = p.stdout.readline()
        if not line and p.poll() is not None:
            break
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        check(False, "SIGINT: sof-gen-tx did not stop")
    s = summary_of(json_lines(line + out))
    check(p.returncode == 0, f"SIGINT: exit {p.returncode}: {err.strip()[-800:]}")
    check(s is not None and s["stop"] == "sigint" and s["sent"] > 0
          and s["offered"] == s["sent"] + s["dropped"], f"SIGINT: summary {s}")


def bad(tmp):
    def expect(what, vdev, opts, codes, needle):
        rc, _, err = tx(vdev, *opts)
        check(rc in codes and needle in err, f"{what}: exit {rc}, stderr without '{needle}': {err.strip()[-600:]}")

    expect("no such port", "net_null0", ["--port", "3", "--count", "1"], (2,), "--port 3: no such port")
    expect("no port at all", None, ["--count", "1"], (2,), "no such port")
    expect("rate not a number", "net_null0", ["--rate", "fast"], (2,), "--rate: expected")
    expect("negative rate", "net_null0", ["--rate", "-5"], (2,), "--rate: expected")
    expect("rate too high", "net_null0", ["--rate", "5G"], (2,), "--rate: expected")
    expect("burst 0", "net_null0", ["--burst", "0"], (2,), "--burst: expected")
    expect("burst too big", "net_null0", ["--burst", "4096"], (2,), "--burst: expected")
    expect("duration 0", "net_null0", ["--duration", "0"], (2,), "--duration: expected")
    expect("unknown option", "net_null0", ["-o", "x.pcap"], (2,), "unknown option")
    expect("bad pace", "net_null0", ["--pace", "nap", "--count", "1"], (2,), "--pace: 'nap' is neither spin nor sleep")
    expect("bad content option", "net_null0", ["--slots", "0"], (2,), "--slots: expected")
    expect("too many frames", "net_null0", ["--max-frames", "100"], (1,), "--max-frames")
    expect("nothing to send", "net_null0", ["--loss", "1"], (2,), "no frame")
    expect("bad vdev", "net_nosuchpmd0", ["--count", "1"], (2,), "EAL initialisation failed")
    for args in (["--", "--help"], ["--help"], ["-l", "0", "-h", "--", "--rate", "1"]):
        p = subprocess.run([gen_tx, *args], capture_output=True, text=True)
        check(p.returncode == 0 and "--rate PPS" in p.stdout and "--slots N" in p.stdout,
              f"{' '.join(args)}: exit {p.returncode}")


with tempfile.TemporaryDirectory() as tmp:
    exact(tmp, "plain", [], [])
    exact(tmp, "impaired",
          ["-n", "6", "-s", "3", "--txns-per-slot", "100", "--skip-rate", "0.2", "--fork-every", "3",
           "--leaders", "2", "--loss", "0.02", "--loss-per-set", "2", "--dup", "0.02", "--reorder", "9",
           "--corrupt", "0.02", "--forge", "0.2", "--equivocate", "0.2", "--wrong-version", "0.2",
           "--garbage", "0.05"],
          ["--copy", "--burst", "7", "--rate", "300000"])
    exact(tmp, "wrap", ["-s", "5", "-n", "2"], ["--burst", "64", "--drop"], extra_frames=100)
    null_run(tmp)
    bad(tmp)

# EAL leaves an empty runtime directory per file prefix: remove ours.
runtime = "/var/run/dpdk" if os.geteuid() == 0 else os.path.join(
    os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk")
for prefix in prefixes:
    shutil.rmtree(os.path.join(runtime, prefix), ignore_errors=True)

print(f"{sof_check.checks - sof_check.failures}/{sof_check.checks} checks passed")
sys.exit(1 if sof_check.failures else 0)
