#!/usr/bin/env python3
"""sof-gossip on a pcap built here from the real gossip vectors
(SOURCES.md section 15): the pull response decodes to its stated fields and
verifies; as a push too; a truncated copy is an error line "truncated"; a
flipped signature bit is signatureOk false with --verify (exit 1); -p
filters by port; the summary counts them; --help, bad options and missing
files. Skipped (77) without the vectors.

    test_sof_gossip.py SOF_GOSSIP
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sof_check  # noqa: E402
from sof_check import check  # noqa: E402

tool = sys.argv[1]
vec = os.environ.get("SOF_VECTORS") or os.environ.get("SOF_VECTORS_DEFAULT") or \
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "vectors")
pr_path = os.path.join(vec, "sig-gossip-pull-response-contactinfo", "pull-response-1-contactinfo.bin")
if not os.path.exists(pr_path):
    print("test_sof_gossip: SKIP: shared vectors not found (set SOF_VECTORS)", file=sys.stderr)
    sys.exit(77)
pr = open(pr_path, "rb").read()


def frame(payload, src, sport, dst, dport):
    """Ethernet / IPv4 / UDP around payload (checksums left zero)."""
    udp = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, bytes(src), bytes(dst))
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + udp


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, d in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(d), len(d)) + d)


def run(*args):
    p = subprocess.run([tool, *args], capture_output=True, text=True, timeout=60)
    lines = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
    return p.returncode, lines, p.stderr


with tempfile.TemporaryDirectory() as tmp:
    a, b = [34, 221, 220, 125], [10, 0, 0, 2]
    flipped = bytearray(pr)
    flipped[50] ^= 0x01  # inside the value's signature
    push = b"\x02\x00\x00\x00" + pr[4:]
    frames = [
        frame(pr, a, 8001, b, 8000),
        frame(push, a, 8001, b, 8000),
        frame(pr[:100], a, 8001, b, 8000),
        frame(bytes(flipped), a, 8001, b, 8000),
        frame(pr, a, 8001, b, 9999),
    ]
    cap = os.path.join(tmp, "g.pcap")
    write_pcap(cap, frames)

    rc, lines, err = run("--verify", "-p", "8000", cap)
    check(rc == 1, "a bad signature and a truncated packet: exit 1 (got %d: %s)" % (rc, err))
    check(len(lines) == 5, "4 packets + summary (got %d)" % len(lines))
    if len(lines) == 5:
        g = lines[0]
        check(g["type"] == "gossip" and g["msg"] == "pull_response", "first: a pull response")
        check(g["from"] == "dv3qDFk1DTF36Z62bNvrCXe9sKATA6xvVy6A798xxAS", "sender")
        check(g["src"] == "34.221.220.125:8001" and g["dst"] == "10.0.0.2:8000", "addresses")
        v = g["values"][0]
        check(v["kind"] == "contact_info", "contact info")
        check(v["origin"] == "CKMqpoZzrqeobgVMsS9Es8UpRUjdhT3tA7CTPoXC3u6i", "origin")
        check(v["wallclock"] == 1704296372153, "wallclock")
        check(v["outset"] == 1703199407923420, "outset")
        check(v["shredVersion"] == 38642, "shred version")
        check(v["version"] == "1.17.9" and v["client"] == 0, "version")
        check(v["signatureOk"] is True, "signature verifies")
        s = v["sockets"]
        check(s.get("gossip") == "34.221.220.125:8000" and s.get("tvu") == "34.221.220.125:8001" and
              s.get("tvu_quic") == "34.221.220.125:8002" and s.get("tpu") == "34.221.220.125:8003" and
              s.get("rpc") == "34.221.220.125:8899" and s.get("rpc_pubsub") == "34.221.220.125:8900",
              "stated sockets: %s" % s)
        check(len(s) == 12, "12 sockets")
        check(lines[1]["msg"] == "push" and lines[1]["values"][0]["signatureOk"] is True, "as a push")
        check(lines[2]["type"] == "error" and lines[2]["error"] == "truncated", "truncated: %s" % lines[2])
        check(lines[3]["type"] == "gossip" and lines[3]["values"][0]["signatureOk"] is False, "flipped signature")
        sm = lines[4]
        check(sm["type"] == "summary" and sm["packets"] == 4 and sm["decoded"] == 3 and sm["malformed"] == 1,
              "summary counts: %s" % sm)
        check(sm["filtered"] == 1 and sm["signaturesBad"] == 1, "filtered, bad signatures")
        check(sm["messages"] == {"pull_response": 2, "push": 1} and sm["errors"] == {"truncated": 1},
              "summary by kind: %s" % sm)

    # without --verify and without the filter: 5 packets, no verdicts
    rc, lines, _ = run(cap)
    check(rc == 1 and lines[-1]["packets"] == 5 and "signatureOk" not in lines[0]["values"][0],
          "no filter, no verify")
    # Linux cooked capture (tcpdump -i any): a 16-byte header, protocol at 14
    sll = os.path.join(tmp, "sll.pcap")
    with open(sll, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 113))
        d = struct.pack(">HHH8sH", 0, 1, 6, b"\2" * 8, 0x0800) + frames[0][14:]
        f.write(struct.pack("<IIII", 1700000000, 0, len(d), len(d)) + d)
    rc, lines, _ = run("--verify", sll)
    check(rc == 0 and lines[0].get("msg") == "pull_response" and lines[0]["src"] == "34.221.220.125:8001" and
          lines[0]["values"][0]["signatureOk"] is True, f"Linux cooked capture ({lines[:1]})")
    # raw payload files
    rc, lines, _ = run("--raw", "--verify", pr_path)
    check(rc == 0 and lines[0]["msg"] == "pull_response" and lines[-1]["decoded"] == 1, "raw file")

    p = subprocess.run([tool, "--help"], capture_output=True, text=True)
    check(p.returncode == 0 and "usage: sof-gossip" in p.stdout, "--help prints usage, exits 0")
    rc, _, err = run("-p", "70000", cap)
    check(rc == 2 and "bad port" in err, "bad port refused")
    rc, _, err = run(os.path.join(tmp, "missing.pcap"))
    check(rc == 2, "missing file: exit 2")
    rc, _, err = run()
    check(rc == 2, "no input: exit 2")

print("test_sof_gossip: %d checks, %d failed" % (sof_check.checks, sof_check.failures), file=sys.stderr)
sys.exit(1 if sof_check.failures or not sof_check.checks else 0)
