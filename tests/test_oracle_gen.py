#!/usr/bin/env python3
"""sof-gen against independent oracles (npm, pinned in tests/oracle):

  - tests/oracle/rs_parity_gen.mjs: the coding shreds' parity equals what the
    reed-solomon-erasure crate (wasm) computes from the data shreds, and the
    crate rebuilds the data from that parity;
  - tests/oracle/web3_decode.mjs: every transaction decodes with
    @solana/web3.js VersionedTransaction.deserialize to the truth's
    signatures and sof-dump's account keys, and its signatures verify.

Two captures: a plain one (votes, transfers, token and v0 lookup-table
transactions, two leaders) and one with skipped slots and forks (both
branches). Negative controls: one flipped parity byte must fail the parity
oracle, one flipped transaction byte must fail the web3 oracle, so neither
can pass vacuously.

usage: test_oracle_gen.py SOF_GEN SOF_DUMP
Exit: 0 pass, 1 fail, 77 skip (node or tests/oracle/node_modules absent:
run tools/install-oracles.sh).
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import sof_check
from sof_check import check

SKIP = 77
here = os.path.dirname(os.path.abspath(__file__))
oracle = os.path.join(here, "oracle")
gen, dump = sys.argv[1], sys.argv[2]

node = shutil.which("node")
modules = os.path.join(oracle, "node_modules")
needed = [os.path.join(modules, "@solana", "web3.js"),
          os.path.join(modules, "@digitaldefiance", "reed-solomon-erasure.wasm")]
if not node:
    print("test_oracle_gen: SKIP: node not found (install Node.js >= 18, then tools/install-oracles.sh)")
    sys.exit(SKIP)
if not all(os.path.isdir(p) for p in needed):
    print("test_oracle_gen: SKIP: tests/oracle/node_modules is not installed (run tools/install-oracles.sh)")
    sys.exit(SKIP)


def run_node(script, *args):
    p = subprocess.run([node, os.path.join(oracle, script), *args], capture_output=True, text=True,
                       timeout=240)
    sys.stderr.write(p.stderr)
    return p.returncode


def frame_offsets(pcap):
    """(record offset, frame offset, frame length) of every pcap record."""
    out, off = [], 24
    while off + 16 <= len(pcap):
        incl = struct.unpack_from("<I", pcap, off + 8)[0]
        out.append((off, off + 16, incl))
        off += 16 + incl
    return out


with tempfile.TemporaryDirectory() as tmp:
    captures = {
        "plain": ["--seed", "7", "--slots", "4", "--txns-per-slot", "400", "--vote-share", "0.5",
                  "--leaders", "2", "--leader-rotation", "2"],
        "forks": ["--seed", "8", "--slots", "10", "--txns-per-slot", "120", "--vote-share", "0.3",
                  "--skip-rate", "0.3", "--fork-every", "3", "--fork-length", "1"],
    }
    for name, opts in captures.items():
        pcap = os.path.join(tmp, name + ".pcap")
        truth = os.path.join(tmp, name + ".jsonl")
        g = subprocess.run([gen, "-o", pcap, "--truth", truth, *opts], capture_output=True, text=True)
        check(g.returncode == 0, f"{name}: sof-gen exit 0: {g.stderr}")
        check(run_node("rs_parity_gen.mjs", "--pcap", pcap) == 0, f"{name}: parity agrees with the crate")
        check(run_node("web3_decode.mjs", "--truth", truth, "--pcap", pcap, "--sof-dump", dump) == 0,
              f"{name}: transactions decode with web3.js as the truth and sof-dump say")

    # Negative controls on the plain capture.
    pcap = os.path.join(tmp, "plain.pcap")
    truth = os.path.join(tmp, "plain.jsonl")
    raw = bytearray(open(pcap, "rb").read())
    recs = frame_offsets(raw)
    # Frame 32 is the first coding shred of the first set: flip a parity byte.
    bad = bytearray(raw)
    _, f, _ = recs[32]
    bad[f + 42 + 89 + 500] ^= 0x80
    bad_pcap = os.path.join(tmp, "bad_parity.pcap")
    open(bad_pcap, "wb").write(bad)
    print("test_oracle_gen: negative control (a flipped parity byte), a FAIL line is expected:",
          file=sys.stderr)
    check(run_node("rs_parity_gen.mjs", "--pcap", bad_pcap) == 1, "a flipped parity byte fails the parity oracle")
    # Frame 0 is data shred 0: byte 300 of its data is inside the first
    # transaction's message (the batch starts with 8 + 48 header bytes).
    bad = bytearray(raw)
    _, f, _ = recs[0]
    bad[f + 42 + 88 + 300] ^= 0x01
    bad_pcap = os.path.join(tmp, "bad_txn.pcap")
    open(bad_pcap, "wb").write(bad)
    print("test_oracle_gen: negative control (a flipped transaction byte), a FAIL line is expected:",
          file=sys.stderr)
    check(run_node("web3_decode.mjs", "--truth", truth, "--pcap", bad_pcap, "--sof-dump", dump) == 1,
          "a flipped transaction byte fails the web3 oracle")

print(f"test_oracle_gen: {sof_check.checks} checks, {sof_check.failures} failed", file=sys.stderr)
sys.exit(1 if sof_check.failures else 0)
