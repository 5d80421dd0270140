#!/usr/bin/env python3
"""sof-gen captures through sof-dump, checked against sof-gen's ground truth.

For several seeds:
- no impairment, with skipped slots and forks: `sof-dump --verify
  --reassemble` yields exactly the truth's transactions (slot, signature,
  kind; each once) and datasets (slot, start, end, txCount), every slot's
  last batch flagged lastInSlot;
- losing exactly 32 shreds of every FEC set (the most recovery can take),
  with duplicates and reordering: the same transactions and datasets;
- forged, corrupted, wrong-version, equivocating and garbage frames: `sof-dump
  --verify` rejects each with the reason the truth expects, the counts match
  the generator's summary, and reassembly still yields the truth's
  transactions.

usage: test_gen_dump.py SOF_DUMP SOF_GEN
"""
import collections
import json
import subprocess
import sys
import tempfile

import sof_check
from sof_check import check

dump, gen = sys.argv[1], sys.argv[2]


def generate(tmp, name, *opts):
    return sof_check.generate(gen, tmp, name, *opts, summary=False)


def dump_lines(*args):
    p = subprocess.run([dump, *args], capture_output=True, text=True)
    return p.returncode, [json.loads(l) for l in p.stdout.splitlines() if l.strip()]


def reassembled(pcap, sched, version):
    rc, lines = dump_lines("--verify", "--reassemble", "--leader-schedule", sched,
                           "--shred-version", str(version), "-p", "8001", pcap)
    txs = [(l["slot"], l["signature"], l["kind"]) for l in lines if l["type"] == "transaction"]
    ds = [(l["slot"], l["startIndex"], l["endIndex"], l["txCount"]) for l in lines if l["type"] == "dataset"]
    last = {l["slot"] for l in lines if l["type"] == "dataset" and l["lastInSlot"]}
    return rc, txs, ds, last, lines[-1]


def truth_sets(recs):
    txs = [(r["slot"], r["signature"], r["kind"]) for r in recs if r["type"] == "transaction"]
    ds = [(r["slot"], r["startIndex"], r["endIndex"], r["txCount"]) for r in recs if r["type"] == "dataset"]
    slots = {r["slot"] for r in recs if r["type"] == "slot" and not r.get("skipped")}
    return txs, ds, slots


def same_transactions(name, got, want):
    check(len(got) == len(set(got)), f"{name}: every transaction once ({len(got)} lines, {len(set(got))} distinct)")
    check(sorted(got) == sorted(want), f"{name}: transactions equal the truth ({len(got)} vs {len(want)})")


with tempfile.TemporaryDirectory() as tmp:
    for seed in (1, 2, 3):
        common = ["-n", "6", "-s", str(seed), "--txns-per-slot", "120", "--leaders", "3",
                  "--leader-rotation", "2", "--shred-version", "7"]

        # clean, with skipped slots and a fork
        pcap, sched, recs = generate(tmp, f"clean{seed}", *common, "--skip-rate", "0.2", "--fork-every", "3")
        want_tx, want_ds, slots = truth_sets(recs)
        rc, txs, ds, last, summ = reassembled(pcap, sched, 7)
        check(rc == 0, f"seed {seed} clean: exit 0")
        same_transactions(f"seed {seed} clean", txs, want_tx)
        check(sorted(ds) == sorted(want_ds), f"seed {seed} clean: datasets equal the truth")
        check(last == slots, f"seed {seed} clean: every produced slot's last batch is lastInSlot")
        check(summ["verify"]["verified"] >= summ["shreds"] - summ["lateDropped"] and summ["rejected"] == 0,
              f"seed {seed} clean: nothing rejected")

        # exactly 32 lost per set, duplicates, reordering
        pcap, sched, recs = generate(tmp, f"loss{seed}", *common, "--loss-per-set", "32", "--dup", "0.1",
                                     "--reorder", "16")
        want_tx, want_ds, slots = truth_sets(recs)
        rc, txs, ds, last, summ = reassembled(pcap, sched, 7)
        check(rc == 0, f"seed {seed} loss: exit 0")
        same_transactions(f"seed {seed} loss 32/set", txs, want_tx)
        check(sorted(ds) == sorted(want_ds), f"seed {seed} loss: datasets equal the truth")
        check(summ["setsRecovered"] > 0 and summ["recoveryFailed"] == 0, f"seed {seed} loss: sets recovered")

        # every kind of bad frame
        pcap, sched, recs = generate(tmp, f"bad{seed}", *common, "--forge", "0.15", "--corrupt", "0.02",
                                     "--wrong-version", "0.15", "--equivocate", "0.15", "--garbage", "0.02",
                                     "--dup", "0.05", "--reorder", "8")
        want_tx, want_ds, slots = truth_sets(recs)
        summary = [r for r in recs if r["type"] == "summary"][-1]
        rc, lines = dump_lines("--verify", "--leader-schedule", sched, "--shred-version", "7", "-p", "8001", pcap)
        s = lines[-1]
        check(rc == 1, f"seed {seed} bad: exit 1")
        imp = [r for r in recs if r["type"] == "impair"]
        # a corrupted shred that was also duplicated goes out twice
        dups = collections.Counter((r["slot"], r["index"], r["shred"]) for r in imp if r["kind"] == "duplicate")
        expect = collections.Counter()
        for r in imp:
            if r["kind"] == "garbage" and r["garbage"] != "other_port":  # filtered by -p, not an error
                expect["err:" + r["expect"]] += 1
            elif r["kind"] == "corrupt":
                copies = 1 + dups[(r["slot"], r["index"], r["shred"])]
                expect["err:" + r["reason"] if r["expect"] == "malformed" else r["expect"]] += copies
        # corrupt payload/proof shreds are invalid_merkle, or invalid_signature
        # when no intact shred of their set was verified before them
        bad_content = expect["invalid_merkle"] + expect["invalid_signature"]
        forged = summary["forgedSets"] * 64
        check(s["verify"]["invalid_merkle"] + s["verify"]["invalid_signature"] == bad_content + forged,
              f"seed {seed}: invalid_merkle + invalid_signature = corrupted content + forged "
              f"({s['verify']['invalid_merkle']} + {s['verify']['invalid_signature']} vs {bad_content} + {forged})")
        check(s["verify"]["invalid_signature"] >= forged + summary["corruptedBy"]["signature"],
              f"seed {seed}: forged and re-signed shreds are invalid_signature")
        check(s["verify"]["wrong_version"] == summary["wrongVersionSets"] * 64, f"seed {seed}: wrong_version count")
        check(s["conflicts"] == summary["equivocatedSets"], f"seed {seed}: one conflict per equivocated set")
        for key, n in expect.items():
            if key.startswith("err:"):
                check(s["errors"].get(key[4:], 0) == n, f"seed {seed}: {n} x {key[4:]} (got {s['errors'].get(key[4:], 0)})")
        check(sum(s["errors"].values()) == sum(n for k, n in expect.items() if k.startswith("err:")),
              f"seed {seed}: no other errors")
        check(s["frames"] == summary["frames"], f"seed {seed}: every frame read")
        # a frame to another port is filtered, not an error
        check(s["framesFiltered"] == summary["garbageBy"]["other_port"], f"seed {seed}: other port filtered")
        # and through reassembly, the truth's transactions survive it all
        rc, txs, ds, last, summ = reassembled(pcap, sched, 7)
        same_transactions(f"seed {seed} bad frames", txs, want_tx)
        check(sorted(ds) == sorted(want_ds), f"seed {seed} bad: datasets equal the truth")

print(f"gen_dump: {sof_check.checks} checks, {sof_check.failures} failed", file=sys.stderr)
sys.exit(1 if sof_check.failures or not sof_check.checks else 0)
