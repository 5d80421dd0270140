#!/usr/bin/env python3
"""sofd on net_pcap replays of sof-gen captures, checked against the ground truth.

- clean captures (skipped slots, forks): the transaction log equals the
  truth's transactions (slot, signature, kind; each once), datasets too;
- exactly 32 shreds lost per FEC set, duplicates, reordering, forged sets and
  garbage frames: the same transactions; forged shreds rejected as
  invalid_signature (or dropped as late once their set was complete),
  garbage counted by its reason, and every received packet in exactly one
  counter;
- corrupted shreds (with 24 lost per set: a corrupted shard of a set that
  already lost 32 leaves it unrecoverable) plus the rest: the same;
- the loss capture again through the preload driver (a net_ring port, two
  RX queues, frames dealt round robin and by slot): the same;
- the loss capture paced by --preload-rate: the RX span is at least the
  frames' time at the rate, every transaction still out;
- SIGINT stops a running sofd cleanly with its summary;
- bad invocations exit non-zero with a message naming the problem.

usage: test_sofd.py SOF_GEN [SOFD]   (exit 77, skipped, without SOFD)
"""
import collections
import json
import os
import shutil
import signal
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
run_no = 0


def generate(tmp, name, *opts):
    return sof_check.generate(gen, tmp, name, *opts)


def eal(pcap, lcores="0"):
    """EAL arguments; pcap None: no vdev (the preload driver makes its port)."""
    global run_no
    run_no += 1
    return ["--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--log-level=error",
            f"--file-prefix=sof-test-{os.getpid()}-{run_no}", "-l", lcores] + (
            ["--vdev", f"net_pcap0,rx_pcap={pcap}"] if pcap else [])


def run_sofd(tmp, name, pcap, sched, *extra, preload=None):
    """preload: None (net_pcap on one lcore) or a --preload-deal value: the
    preload driver, two rx and fec instances sharing lcores 0 and 1."""
    txlog = os.path.join(tmp, name + ".txlog")
    if preload:
        extra = ("--driver", "preload", "--preload", pcap, "--preload-deal", preload,
                 "--topology-rx", "0,1", "--topology-fec", "0,1", "--topology-extract", "1",
                 "--topology-dispatch", "1", "--topology-plugins", "1") + extra
    p = subprocess.run([sofd, *(eal(None, "0,1") if preload else eal(pcap)), "--", "--leader-schedule", sched, "--shred-version", "7",
                        "--udp-port", "8001", "--idle-exit-ms", "500", "--plugin-opt", "txlog.datasets=true", "--txlog", txlog,
                        *extra], capture_output=True, text=True, timeout=120)
    summ = None
    for l in p.stderr.splitlines():
        if l.startswith('{"type":"summary"'):
            summ = json.loads(l)
    check(summ is not None, f"{name}: a summary on stderr ({p.stderr[-500:]})")
    lines = [json.loads(l) for l in open(txlog)] if os.path.exists(txlog) else []
    return p.returncode, lines, summ or {}, p.stderr


def truth_sets(recs):
    txs = [(r["slot"], r["signature"], r["kind"]) for r in recs if r["type"] == "transaction"]
    ds = [(r["slot"], r["startIndex"], r["endIndex"], r["txCount"]) for r in recs if r["type"] == "dataset"]
    return txs, ds


def got_sets(lines):
    txs = [(l["slot"], l["signature"], l["kind"]) for l in lines if l["type"] == "transaction"]
    ds = [(l["slot"], l["startIndex"], l["endIndex"], l["txCount"]) for l in lines if l["type"] == "dataset"]
    return txs, ds


def balanced(name, s, frames):
    check(s.get("rxPackets") == frames, f"{name}: every frame received ({s.get('rxPackets')} vs {frames})")
    drops = s["drops"]
    total = s["accepted"] + sum(v for k, v in drops.items() if isinstance(v, int)) \
        + sum(drops["malformed"].values()) + sum(drops["rejected"].values())
    check(total == s["rxPackets"], f"{name}: counters add up to packets received ({total} vs {s['rxPackets']})")
    check(s["accepted"] + s["dropped"] == s["rxPackets"], f"{name}: accepted + dropped = received")
    check(sum(s["acceptedBy"].values()) == s["accepted"], f"{name}: accepted split by resolver result")
    check(s["balanced"] is True, f"{name}: sofd's own balance check")
    check(s.get("datasetBlocksInUse") == 0,
          f"{name}: every dataset block released by the end ({s.get('datasetBlocksInUse')})")


def same(name, lines, recs):
    got_tx, got_ds = got_sets(lines)
    want_tx, want_ds = truth_sets(recs)
    check(len(got_tx) == len(set(got_tx)), f"{name}: every transaction once")
    check(sorted(got_tx) == sorted(want_tx), f"{name}: transactions equal the truth ({len(got_tx)} vs {len(want_tx)})")
    check(sorted(got_ds) == sorted(want_ds), f"{name}: datasets equal the truth")
    tx = next((l for l in lines if l["type"] == "transaction"), {})
    for key in ("slot", "signature", "kind", "version", "accountKeys", "recentBlockhash"):
        check(key in tx, f"{name}: transaction lines carry {key}")


def garbage_counted(name, s, recs):
    imp = [r for r in recs if r["type"] == "impair"]
    want = collections.Counter(r["expect"] for r in imp if r["kind"] == "garbage")
    drops = s["drops"]
    for reason, n in want.items():
        if reason == "other_port":
            check(drops["wrong_port"] == n, f"{name}: {n} x wrong_port (got {drops['wrong_port']})")
        elif reason in drops:
            check(drops[reason] == n, f"{name}: {n} x {reason} (got {drops[reason]})")
        else:  # a shred-level reason; corrupted shreds may add to it
            corrupt = sum(1 for r in imp if r["kind"] == "corrupt" and r.get("reason") == reason)
            got = drops["malformed"][reason]
            check(n <= got <= n + 2 * corrupt, f"{name}: {n} x malformed {reason} (got {got})")


with tempfile.TemporaryDirectory() as tmp:
    common = ["-n", "6", "--txns-per-slot", "120", "--leaders", "3", "--leader-rotation", "2",
              "--shred-version", "7"]
    for seed in (1, 2):
        c = common + ["-s", str(seed)]
        name = f"seed {seed} clean"
        pcap, sched, recs = generate(tmp, f"clean{seed}", *c, "--skip-rate", "0.2", "--fork-every", "3")
        rc, lines, s, err = run_sofd(tmp, f"clean{seed}", pcap, sched)
        frames = [r for r in recs if r["type"] == "summary"][-1]["frames"]
        check(rc == 0, f"{name}: exit 0 ({err[-300:]})")
        check(s.get("stop") == "idle", f"{name}: stopped on --idle-exit-ms")
        same(name, lines, recs)
        balanced(name, s, frames)
        check(s["dropped"] == s["drops"]["late"], f"{name}: only late coding shreds dropped")

        name = f"seed {seed} loss32+forged+garbage"
        pcap, sched, recs = generate(tmp, f"loss{seed}", *c, "--loss-per-set", "32", "--dup", "0.1",
                                     "--reorder", "16", "--forge", "0.2", "--garbage", "0.03")
        gsum = [r for r in recs if r["type"] == "summary"][-1]
        rc, lines, s, err = run_sofd(tmp, f"loss{seed}", pcap, sched, "--burst", "8", "--fec-set-buffers", "32", "--fec-chunks", "2048",
                                     "--stats-interval-ms", "100")
        check(rc == 0, f"{name}: exit 0 ({err[-300:]})")
        same(name, lines, recs)
        balanced(name, s, gsum["frames"])
        garbage_counted(name, s, recs)
        forged = gsum["forgedSets"] * 64
        rej = s["drops"]["rejected"]
        check(gsum["forgedSets"] > 0, f"{name}: the capture has forged sets")
        check(0 < rej["invalid_signature"] <= forged <= rej["invalid_signature"] + s["drops"]["late"],
              f"{name}: forged shreds are invalid_signature or late ({rej['invalid_signature']} of {forged})")
        check(rej["invalid_merkle"] == 0 and rej["wrong_version"] == 0 and rej["unknown_leader"] == 0,
              f"{name}: no other rejection")
        check(s["setsRecovered"] > 0 and s["acceptedBy"]["recovery_failed"] == 0, f"{name}: sets recovered")

        # the same capture preloaded into a net_ring port with two RX queues
        # (rx and fec on both lcores), frames dealt round robin or by slot
        for deal in ("packet", "slot"):
            pname = f"{name}, preload {deal}"
            rc, lines, s, err = run_sofd(tmp, f"loss{seed}-{deal}", pcap, sched, "--burst", "8",
                                         preload=deal)
            check(rc == 0, f"{pname}: exit 0 ({err[-300:]})")
            check(s.get("driver") == "net_ring" and s.get("rxPackets") == gsum["frames"],
                  f"{pname}: every frame received off the net_ring port ({s.get('driver')}, "
                  f"{s.get('rxPackets')} of {gsum['frames']})")
            check(sorted(r["instance"] for r in s.get("roles", []) if r["role"] == "rx") == [0, 1],
                  f"{pname}: two rx instances")
            same(pname, lines, recs)
            balanced(pname, s, gsum["frames"])
            garbage_counted(pname, s, recs)

        # paced (--preload-rate): the frames come out at the rate, so the
        # span from the first RX burst to the last is at least the frames'
        # time at that rate (each queue its half from its first poll), and
        # still every one of them
        rate = max(1000, gsum["frames"])  # about one second
        pname = f"{name}, preload paced at {rate}/s"
        rc, lines, s, err = run_sofd(tmp, f"loss{seed}-paced", pcap, sched, "--preload-rate", str(rate),
                                     preload="packet")
        check(rc == 0 and s.get("rxPackets") == gsum["frames"],
              f"{pname}: exit 0, every frame ({s.get('rxPackets')} of {gsum['frames']}; {err[-300:]})")
        floor_us = (gsum["frames"] - 2) / rate * 1e6
        check(floor_us * 0.98 <= s.get("rxSpanUs", 0) <= floor_us * 20,
              f"{pname}: RX span {s.get('rxSpanUs')} us for {gsum['frames']} frames "
              f"(at least {floor_us:.0f} us at the rate)")
        same(pname, lines, recs)

        name = f"seed {seed} corrupt"
        pcap, sched, recs = generate(tmp, f"corrupt{seed}", *c, "--loss-per-set", "24", "--corrupt", "0.03",
                                     "--forge", "0.15", "--garbage", "0.02", "--dup", "0.05", "--reorder", "8")
        gsum = [r for r in recs if r["type"] == "summary"][-1]
        rc, lines, s, err = run_sofd(tmp, f"corrupt{seed}", pcap, sched)
        check(rc == 0, f"{name}: exit 0 ({err[-300:]})")
        same(name, lines, recs)
        balanced(name, s, gsum["frames"])
        garbage_counted(name, s, recs)
        check(gsum["corrupted"] > 0, f"{name}: the capture has corrupted shreds")
        check(s["drops"]["rejected"]["invalid_signature"] > 0, f"{name}: invalid_signature counted")

    # forged sets alone: each forged shred is invalid_signature, or late when
    # it arrives after the genuine set completed (dropped before hashing)
    pcap, sched, recs = generate(tmp, "forged", *common, "-s", "3", "--forge", "0.3")
    gsum = [r for r in recs if r["type"] == "summary"][-1]
    rc, lines, s, err = run_sofd(tmp, "forged", pcap, sched)
    same("forged only", lines, recs)
    balanced("forged only", s, gsum["frames"])
    forged = gsum["forgedSets"] * 64
    got = s["drops"]["rejected"]["invalid_signature"]
    check(forged > 0 and 0 < got <= forged <= got + s["drops"]["late"],
          f"forged only: {forged} forged shreds, {got} invalid_signature, {s['drops']['late']} late")
    check(s["sigVerifies"] <= gsum["fecSets"] + 2 * gsum["forgedSets"],
          f"forged only: one ed25519 per set, not per forged shred ({s['sigVerifies']})")

    # SIGINT: no idle exit, the summary still comes and balances
    pcap, sched, recs = generate(tmp, "sig", *common, "-s", "4")
    txlog = os.path.join(tmp, "sig.txlog")
    p = subprocess.Popen([sofd, *eal(pcap), "--", "--leader-schedule", sched, "--plugin-opt", "txlog.datasets=true", "--txlog", txlog],
                         stderr=subprocess.PIPE, text=True)
    # SIGINT once sofd runs (its handlers are installed before the line
    # naming its input): a loaded machine can take seconds to get there
    _, first = sof_check.wait_line(p.stderr, r" input, .*verification", timeout=60)
    want = len(truth_sets(recs)[0])
    deadline = time.time() + 30  # then the replay's transactions written (sofd keeps running: no idle exit)
    while time.time() < deadline:
        if os.path.exists(txlog) and sum(1 for l in open(txlog) if '"type":"transaction"' in l) >= want:
            break
        time.sleep(0.1)
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    err = "".join(first) + err
    summ = [json.loads(l) for l in err.splitlines() if l.startswith('{"type":"summary"')]
    check(p.returncode == 0, f"SIGINT: exit 0 (rc {p.returncode}: {err[-300:]})")
    check(summ and summ[0]["stop"] == "sigint" and summ[0]["balanced"], "SIGINT: summary, stop sigint, balanced")
    same("SIGINT", [json.loads(l) for l in open(txlog)], recs)

    # bad invocations
    pcap_ok = pcap
    bad = [
        (["--"], "needs --leader"),
        (["--", "--accept-unknown-leader", "--burst", "0"], "--burst"),
        (["--", "--accept-unknown-leader", "--udp-port", "70000"], "--udp-port"),
        (["--", "--accept-unknown-leader", "--posture", "trusting"], "--posture"),
        (["--", "--leader", "not-base58-0OIl"], "--leader"),
        (["--", "--leader-schedule", os.path.join(tmp, "missing.json")], "--leader-schedule"),
        (["--", "--accept-unknown-leader", "--frobnicate"], "frobnicate"),
        (["--", "--accept-unknown-leader", "stray"], "unexpected argument"),
        (eal(pcap_ok) + ["--", "--accept-unknown-leader", "--port-id", "3"], "port 3 does not exist"),
        (eal(pcap_ok) + ["--", "--accept-unknown-leader", "--mbufs", "100"], "--mbufs 100 is too few"),
        (eal(os.path.join(tmp, "missing.pcap")) + ["--", "--accept-unknown-leader"], "port 0 does not exist"),
        (eal(pcap_ok) + ["--", "--accept-unknown-leader", "--txlog", os.path.join(tmp, "no", "such", "dir")],
         "plugin txlog"),
        (eal(None) + ["--", "--accept-unknown-leader", "--driver", "preload"], "the preload driver needs a capture"),
        (eal(pcap_ok) + ["--", "--accept-unknown-leader", "--preload", pcap_ok], "only that driver takes one"),
        (eal(None) + ["--", "--accept-unknown-leader", "--driver", "preload", "--preload", pcap_ok,
                      "--preload-deal", "flow"], "'flow' is not packet or slot"),
        (eal(None) + ["--", "--accept-unknown-leader", "--driver", "preload", "--preload",
                      os.path.join(tmp, "missing.pcap")], "preload " + os.path.join(tmp, "missing.pcap")),
        (eal(None) + ["--", "--accept-unknown-leader", "--driver", "preload", "--preload", sched],
         "preload " + sched),
    ]
    for args, msg in bad:
        p = subprocess.run([sofd, *args], capture_output=True, text=True, timeout=60)
        check(p.returncode != 0 and msg in p.stderr,
              f"bad invocation {args[-3:]}: non-zero exit and '{msg}' (rc {p.returncode}, {p.stderr[-300:]!r})")
    p = subprocess.run([sofd, "--", "--help"], capture_output=True, text=True)
    check(p.returncode == 0 and "--idle-exit-ms" in p.stdout, "--help lists the options, exit 0")

# EAL leaves an empty runtime directory per file prefix: remove ours.
runtime = "/var/run/dpdk" if os.geteuid() == 0 else os.path.join(
    os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk")
for n in range(1, run_no + 1):
    shutil.rmtree(os.path.join(runtime, f"sof-test-{os.getpid()}-{n}"), ignore_errors=True)

print(f"sofd: {sof_check.checks} checks, {sof_check.failures} failed", file=sys.stderr)
sys.exit(1 if sof_check.failures or not sof_check.checks else 0)
