#!/usr/bin/env python3
"""sof-dump end to end: on a sof-gen capture (runs everywhere) and on the
shared vectors (skipped when absent). Asserts what a user reads off the
output: counts, fields, roots and chain links, error lines and exit codes.

usage: test_sof_dump.py SOF_DUMP SOF_GEN
"""
import json
import os
import subprocess
import sys
import tempfile

import sof_check
from sof_check import check

dump, gen = sys.argv[1], sys.argv[2]


def run(*args):
    p = subprocess.run([dump, *args], capture_output=True, text=True)
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    return p.returncode, lines, p.stderr


with tempfile.TemporaryDirectory() as tmp:
    pcap = os.path.join(tmp, "gen.pcap")
    truth = os.path.join(tmp, "truth.jsonl")
    sched = os.path.join(tmp, "schedule.json")
    g = subprocess.run([gen, "--slots", "3", "--seed", "42", "--txns-per-slot", "50",
                        "-o", pcap, "--truth", truth, "--leader-schedule", sched,
                        "--leaders", "2", "--leader-rotation", "1"], capture_output=True, text=True)
    check(g.returncode == 0, "sof-gen exit 0: " + g.stderr)
    recs = [json.loads(l) for l in open(truth)]
    slots = {r["slot"]: r for r in recs if r["type"] == "slot"}

    rc, lines, err = run(pcap)
    check(rc == 0, f"sof-dump on a clean capture exits 0 (got {rc}: {err})")
    shreds = [l for l in lines if l["type"] == "shred"]
    summary = lines[-1]
    check(summary["type"] == "summary", "last line is the summary")
    check(summary["frames"] == len(shreds) == summary["shreds"], "every frame is one shred line")
    check(summary["malformed"] == 0 and not any("error" in s for s in shreds), "nothing malformed")
    check(summary["dataShreds"] == summary["codeShreds"], "32:32 sets: as many code as data shreds")
    check(set(s["slot"] for s in shreds) == set(slots), "shred slots are the generated slots")
    roots = {}
    for s in shreds:
        check(s["variant"].startswith("merkle_"), "merkle variants only")
        check(s["proofSize"] == 6, "proof size 6")
        key = (s["slot"], s["fecSetIndex"])
        roots.setdefault(key, set()).add(s["merkleRoot"])
        if "parentOffset" in s:
            check(s["slot"] - s["parentOffset"] == slots[s["slot"]]["parent"], "parent matches the truth")
    check(all(len(v) == 1 for v in roots.values()), "one merkle root per FEC set")
    # each set chains to the previous set's root (across slots too)
    order = sorted(roots)
    chained = {(s["slot"], s["fecSetIndex"]): s["chainedMerkleRoot"] for s in shreds}
    for prev, cur in zip(order, order[1:]):
        check(chained[cur] == next(iter(roots[prev])), f"set {cur} chains to {prev}")
    last = [s for s in shreds if s.get("lastInSlot")]
    check(len(last) == len(slots), "one LAST_IN_SLOT shred per slot")
    check(all(s["variant"] == "merkle_data_chained_resigned" for s in last), "last sets are resigned")

    # --verify with the generator's schedule: everything verified, one
    # signature check per FEC set
    rc, lines, err = run("--verify", "--leader-schedule", sched, pcap)
    vs = lines[-1]
    check(rc == 0, f"--verify on a clean capture exits 0 ({err})")
    check(vs["verify"]["verified"] == summary["shreds"] and vs["rejected"] == 0, "every shred verified")
    check(vs["sigVerifies"] == len(roots), "one ed25519 verification per FEC set")
    check(all(l["verify"] == "verified" for l in lines if l["type"] == "shred"), "verify field on every shred line")
    # a schedule that names only one of the two leaders: the other's slots are unknown
    one = json.load(open(sched))
    first_key = sorted(one)[0]
    only = os.path.join(tmp, "only.json")
    json.dump({first_key: one[first_key]}, open(only, "w"))
    rc, lines, _ = run("--verify", "--leader-schedule", only, pcap)
    vs = lines[-1]
    check(rc == 1 and vs["verify"]["unknown_leader"] > 0 and vs["verify"]["verified"] > 0 and
          vs["verify"]["unknown_leader"] + vs["verify"]["verified"] == summary["shreds"], "unknown leader slots rejected, counted")
    rc, lines, _ = run("--verify", "--leader-schedule", only, "--accept-unknown-leader", pcap)
    check(rc == 0 and lines[-1]["rejected"] == 0, "--accept-unknown-leader lets them in")
    # the wrong key for every slot
    rc, lines, _ = run("--verify", "--leader", "11111111111111111111111111111112", pcap)
    check(rc == 1 and lines[-1]["verify"]["invalid_signature"] == summary["shreds"], "wrong leader: all invalid_signature")
    rc, lines, _ = run("--verify", "--posture", "trusted_raw_shred_provider", pcap)
    check(rc == 0 and lines[-1]["verify"]["skipped"] == summary["shreds"], "trusted posture: skipped")
    rc, lines, _ = run("--verify", "--leader-schedule", sched, "--shred-version", "999", pcap)
    check(rc == 1 and lines[-1]["verify"]["wrong_version"] == summary["shreds"], "wrong shred version")
    rc, _, _ = run("--verify", pcap)
    check(rc == 2, "--verify without leaders: usage error")
    rc, _, _ = run("--leader", "11111111111111111111111111111112", pcap)
    check(rc == 2, "--leader without --verify: usage error")
    bad_sched = os.path.join(tmp, "bad.json")
    open(bad_sched, "w").write('{"notakey": [1]}')
    p = subprocess.run([dump, "--verify", "--leader-schedule", bad_sched, pcap], capture_output=True, text=True)
    check(p.returncode == 2 and "notakey" in p.stderr, "bad schedule: the entry is named")

    # malformed inputs: a short file, garbage; the dump goes on and exits 1
    short = os.path.join(tmp, "short.bin")
    open(short, "wb").write(b"\x96" * 100)
    rc, lines, _ = run(short, pcap)
    check(rc == 1, "malformed input: exit 1")
    check(lines[0].get("error") == "too_short", "short shred: error too_short")
    check(lines[-1]["malformed"] == 1 and lines[-1]["shreds"] == summary["shreds"], "dump went on after the error")
    rc, _, _ = run("/nonexistent/file")
    check(rc == 2, "missing input: exit 2")
    p = subprocess.run([dump, "--bogus"], capture_output=True, text=True)
    check(p.returncode == 2 and "usage" in p.stderr, "bad option: usage on stderr, exit 2")
    p = subprocess.run([dump, "--help"], capture_output=True, text=True)
    check(p.returncode == 0 and "--entries" in p.stdout, "--help lists the options")
    rc, lines, _ = run("--port", "1", pcap)
    check(rc == 0 and lines[-1]["framesFiltered"] == summary["frames"] and lines[-1]["shreds"] == 0,
          "--port filters other ports out")

vec = os.environ.get("SOF_VECTORS") or os.environ.get("SOF_VECTORS_DEFAULT", "")
if os.path.isdir(vec):
    rc, lines, _ = run("--tx", f"{vec}/fd-txn/transaction2.bin", f"{vec}/fd-txn/sample_vote.bin", f"{vec}/fd-txn/transaction5.bin")
    check(rc == 1, "an invalid transaction makes the exit code 1")
    t2, vote, t5 = lines
    check(t2["signature"] == "4gxceixEGkug6Da4KgTjZ9EVjEyEDWSk5QzokfucQE4d767yyxjwgv46u5y3hntprtVMGWGz1cNzWeC6DtJhUcuz", "t2 signature")
    check(t2["version"] == 0 and t2["header"] == [1, 0, 2] and len(t2["accountKeys"]) == 6, "t2 v0 shape")
    check([len(a["writableIndexes"]) for a in t2["lookupTables"]] == [4, 4, 4], "t2 lookups")
    check(vote["simpleVote"] is True and vote["kind"] == "vote_only" and vote["version"] == "legacy", "sample vote")
    check(t5.get("error") == "program_index", "t5 rejected: program_index")
    rc, lines, _ = run("--entries", f"{vec}/fd-testnet-slot385970984/entry-batches/entry-batch-shreds-0320-0351.bin")
    s = lines[-1]
    check(rc == 0 and s["entries"] == 12 and s["transactions"] == 19 and s["trailingZeros"] == 0, "testnet batch 320")
    txs = [l for l in lines if l["type"] == "transaction"]
    check(txs[0]["signature"] == "2RqreN6MJNMQ8wS1piSXkbicMpBwat41gBkQe9zADkKUcuZ65FJZyRAvSgZwLNkAJ1Arpu3F5i43FpSEMo5NAx7q", "first txn of batch 320")
    rc, lines, _ = run(f"{vec}/fd-testnet-slot385970984/shreds")
    s = lines[-1]
    check(rc == 0 and s["shreds"] == 307 and s["malformed"] == 0, "testnet directory: 307 shreds")
    rc, lines, _ = run("--verify", "--leader", "FT9QgTVo375TgDAQusTgpsfXqTosCJLfrBpoVdcbnhtS",
                       "--shred-version", "27350", f"{vec}/fd-testnet-slot385970984/shreds")
    s = lines[-1]
    check(rc == 0 and s["verify"]["verified"] == 307 and s["sigVerifies"] == 5, "testnet slot verifies, 5 signature checks")
    check(len({l["merkleRoot"] for l in lines if l["type"] == "shred"}) == 5, "5 roots")
    rc, lines, _ = run("--verify", "--leader", "8QqXr3xh1HVTscVjE7NMcoovCn9ucU4Sedi9DuVnvJ2V",
                       f"{vec}/radiance-localnet-slot94-merkle-obsolete/shreds")
    v = lines[-1]["verify"]
    # past a set's failure budget the verifier turns shreds away unchecked
    check(rc == 1 and v["invalid_signature"] + v.get("over_budget", 0) == 144 and v["verified"] == 0,
          "obsolete v1.14 merkle shreds do not verify")
    rc, lines, _ = run(f"{vec}/radiance-mainnet-slot0-1-legacy-v1/slot0")
    check(rc == 1 and lines[-1]["errors"] == {"bad_size": 3}, "v1 legacy shreds rejected as bad_size")
else:
    print("vector part skipped: shared vectors not found (set SOF_VECTORS)", file=sys.stderr)

print(f"sof_dump: {sof_check.checks} checks, {sof_check.failures} failed", file=sys.stderr)
sys.exit(1 if sof_check.failures or not sof_check.checks else 0)
