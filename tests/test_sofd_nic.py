#!/usr/bin/env python3
"""sofd on a dedicated NIC in a real network (issue #19): a veth pair
between the root namespace (sofd on net_af_packet, iface = the root end,
[input] address 10.77.19.2/24) and a network namespace of this test
(10.77.19.1/24 on the other end):

- `ping -c 3` the address: three replies (ICMP echo answered by sofd),
  counted rx_icmp_replies;
- a plain kernel UDP socket in the namespace sends a sof-gen capture's
  shred payloads to the address and the shred port with no static ARP
  entry: the kernel resolves sofd's MAC through sofd's ARP replies, and the
  transaction log equals the ground truth, counters balanced;
- dpdk-dumpcap (a secondary process) captures frames of a running sofd
  (started without --no-shconf, [run] pdump = true) into a pcapng file
  (skipped with a message without dpdk-dumpcap or when it cannot attach).

Skipped (77) without sofd, without root / ip netns / veth, or without ping.
The namespace and links are removed even on failure.

usage: test_sofd_nic.py SOF_GEN [SOFD]
"""
import os
import re
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

TAG = f"{os.getpid() % 100000}"
NS = f"sofnic{TAG}"
VR, VN = f"sofr{TAG}", f"sofn{TAG}"  # root end (sofd), namespace end
ADDR, PEER = "10.77.19.2", "10.77.19.1"
PORT = 8001


def sh(*args, ns=False, check_rc=True):
    cmd = (["ip", "netns", "exec", NS] if ns else []) + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True)
    if check_rc and p.returncode:
        raise RuntimeError(f"{' '.join(cmd)}: {p.stderr.strip()}")
    return p


def teardown():
    subprocess.run(["ip", "link", "del", VR], capture_output=True)
    subprocess.run(["ip", "netns", "del", NS], capture_output=True)


def setup():
    if os.geteuid() != 0 or not shutil.which("ip"):
        return "needs root and ip(8)"
    if not shutil.which("ping"):
        return "needs ping (iputils-ping)"
    try:
        sh("ip", "netns", "add", NS)
        sh("ip", "link", "add", VR, "type", "veth", "peer", "name", VN)
        sh("ip", "link", "set", VN, "netns", NS)
        # the root kernel keeps out of it: no IPv6 chatter, no forwarding
        # (and so no ICMP errors) of what reaches the root end
        sh("sysctl", "-qw", f"net.ipv6.conf.{VR}.disable_ipv6=1", check_rc=False)
        sh("sysctl", "-qw", f"net.ipv4.conf.{VR}.forwarding=0", check_rc=False)
        sh("ip", "link", "set", VR, "up")
        sh("sysctl", "-qw", f"net.ipv6.conf.{VN}.disable_ipv6=1", ns=True, check_rc=False)
        sh("ip", "addr", "add", f"{PEER}/24", "dev", VN, ns=True)
        sh("ip", "link", "set", VN, "up", ns=True)
        sh("ip", "link", "set", "lo", "up", ns=True)
    except (RuntimeError, OSError) as e:
        return f"cannot create a network namespace and a veth pair: {e}"
    return None


def start_sofd(tmp, name, sched, *extra, shconf=False):
    txlog = os.path.join(tmp, name + ".txlog")
    ealargs = sof_check.eal("nic", "0", vdevs=[f"net_af_packet0,iface={VR}"])
    if shconf:
        # a secondary process (dpdk-dumpcap) attaches through the shared
        # config and hugepage-backed memory: no --no-shconf, no --no-huge
        ealargs.remove("--no-shconf")
        ealargs = [a for a in ealargs if a not in ("--no-huge", "-m", "512")] + ["-m", "384"]
    p = subprocess.Popen([sofd, *ealargs, "--", "--address", f"{ADDR}/24", "--leader-schedule", sched,
                          "--shred-version", "7", "--udp-port", str(PORT), "--txlog", txlog, *extra],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # ready once the gratuitous ARP line is out (the port is started)
    deadline = time.time() + 30
    lines = []
    while time.time() < deadline:
        l = p.stderr.readline()
        if not l:
            break
        lines.append(l)
        if "gratuitous ARP" in l:
            return p, txlog, lines
    p.kill()
    out = "".join(lines) + p.stderr.read()
    check(False, f"{name}: sofd started on {VR} ({out[-600:]})")


def stop_sofd(p, lines):
    p.send_signal(signal.SIGINT)
    try:
        _, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    return p.returncode, "".join(lines) + err


def balanced(name, s):
    drops = s.get("drops", {})
    total = s.get("accepted", 0) + sum(v for v in drops.values() if isinstance(v, int)) \
        + sum(drops.get("malformed", {}).values()) + sum(drops.get("rejected", {}).values())
    check(total == s.get("rxPackets"), f"{name}: counters add up to packets received ({total} vs "
          f"{s.get('rxPackets')})")
    check(s.get("balanced") is True, f"{name}: sofd's own balance check")


SENDER = r"""
import socket, sys, time
pls = [open(p, 'rb').read() for p in sys.argv[3:]]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i, pl in enumerate(pls):
    s.sendto(pl, (sys.argv[1], int(sys.argv[2])))
    if i % 32 == 31:
        time.sleep(0.002)
"""


def test_ping_and_udp(tmp):
    pcap, sched, recs = sof_check.generate(gen, tmp, "nic", "--txns-per-slot", "60", "--leaders", "2",
                                           "--shred-version", "7", "-s", "19", "--slots", "4")
    _, frames = sof_check.pcap_frames(pcap)
    pls = sof_check.udp_payloads(frames, PORT)
    check(len(pls) > 50, f"the capture has shreds to port {PORT} ({len(pls)})")
    pdir = os.path.join(tmp, "pl")
    os.makedirs(pdir, exist_ok=True)
    paths = []
    for i, pl in enumerate(pls):
        path = os.path.join(pdir, f"{i:06d}")
        open(path, "wb").write(pl)
        paths.append(path)
    p, txlog, lines = start_sofd(tmp, "ping_udp", sched)
    try:
        sh("ip", "neigh", "flush", "dev", VN, ns=True, check_rc=False)
        pg = sh("ping", "-c", "3", "-i", "0.2", "-W", "2", ADDR, ns=True, check_rc=False)
        check(pg.returncode == 0 and " 3 received" in pg.stdout,
              f"ping -c 3 {ADDR}: 3 replies ({pg.stdout.strip()[-200:]} {pg.stderr.strip()})")
        # no static entry: the neighbour was learnt from sofd's ARP reply
        neigh = sh("ip", "neigh", "show", ADDR, "dev", VN, ns=True).stdout
        mac = open(f"/sys/class/net/{VR}/address").read().strip()
        check(mac in neigh and "PERMANENT" not in neigh,
              f"the namespace resolved {ADDR} to sofd's MAC {mac} by ARP ({neigh.strip()})")
        sh("ip", "neigh", "flush", "dev", VN, ns=True, check_rc=False)
        sd = subprocess.run(["ip", "netns", "exec", NS, sys.executable, "-c", SENDER, ADDR, str(PORT),
                             *paths], capture_output=True, text=True, timeout=120)
        check(sd.returncode == 0, f"the kernel UDP sender ({sd.stderr.strip()[-300:]})")
        time.sleep(1.5)
    finally:
        rc, err = stop_sofd(p, lines)
    s = sof_check.summary_of(err)
    check(bool(s), f"ping_udp: a summary on stderr ({err[-600:]})")
    check(rc == 0, f"ping_udp: sofd exit status {rc} ({err[-400:]})")
    check(s.get("icmpReplies", 0) >= 3, f"ping_udp: ICMP echo replies counted ({s.get('icmpReplies')})")
    check(s.get("arpReplies", 0) >= 2, f"ping_udp: ARP replies counted ({s.get('arpReplies')})")
    check(s.get("txDropped") == 0, f"ping_udp: nothing dropped at TX ({s.get('txDropped')})")
    # a set's shreds after its recovery are counted late (as on any input)
    check(s.get("accepted", 0) + s.get("drops", {}).get("late", 0) == len(pls),
          f"ping_udp: every shred datagram accepted or late "
          f"({s.get('accepted')} of {len(pls)}; drops {s.get('drops')}, lost {s.get('lostNic')})")
    got = sof_check.txs_of(sof_check.read_lines(txlog))
    want = sof_check.truth_txs(recs)
    check(got == want, f"ping_udp: the transaction log is the truth ({len(got)} vs {len(want)})")
    balanced("ping_udp", s)
    print(f"ping_udp: {len(pls)} datagrams, {len(got)} transactions, arp {s.get('arpReplies')} "
          f"icmp {s.get('icmpReplies')}", file=sys.stderr)


def test_rate_limit(tmp):
    _, sched, _ = sof_check.generate(gen, tmp, "nic_rl", "--slots", "2", "--shred-version", "7")
    p, _, lines = start_sofd(tmp, "rate", sched, "--input-icmp-rate", "1")
    try:
        pg = sh("ping", "-c", "6", "-i", "0.2", "-W", "1", ADDR, ns=True, check_rc=False)
    finally:
        rc, err = stop_sofd(p, lines)
    s = sof_check.summary_of(err)
    check(rc == 0 and bool(s), f"rate: sofd exit status {rc} and a summary ({err[-400:]})")
    # 1/s with a one-second bucket: the first echo answered, the next ones
    # (0.2 s apart, 1 s of pings) mostly not
    check(1 <= s.get("icmpReplies", 0) <= 2 and s.get("icmpRateLimited", 0) >= 4,
          f"rate: icmp_rate 1 answers 1-2 of 6 ({s.get('icmpReplies')} answered, "
          f"{s.get('icmpRateLimited')} limited; ping: {pg.stdout.strip()[-120:]})")


def hugepages(n):
    """At least n free 2 MiB hugepages and hugetlbfs mounted (root): True
    when they could be had."""
    try:
        path = "/proc/sys/vm/nr_hugepages"
        free = int(re.search(r"HugePages_Free:\s+(\d+)", open("/proc/meminfo").read()).group(1))
        if free < n:
            total = int(open(path).read())
            open(path, "w").write(str(total + n - free))
        if not any(l.split()[2] == "hugetlbfs" for l in open("/proc/mounts") if len(l.split()) > 2):
            os.makedirs("/dev/hugepages", exist_ok=True)
            subprocess.run(["mount", "-t", "hugetlbfs", "nodev", "/dev/hugepages"], check=True,
                           capture_output=True)
        free = int(re.search(r"HugePages_Free:\s+(\d+)", open("/proc/meminfo").read()).group(1))
        return free >= n
    except (OSError, ValueError, AttributeError, subprocess.CalledProcessError):
        return False


def test_dumpcap(tmp):
    dc = shutil.which("dpdk-dumpcap")
    if not dc:
        print("dumpcap: dpdk-dumpcap not installed (Debian package dpdk-dev): skipped", file=sys.stderr)
        return
    if not hugepages(256):
        print("dumpcap: no 2 MiB hugepages could be had (a secondary process needs them): skipped",
              file=sys.stderr)
        return
    _, sched, _ = sof_check.generate(gen, tmp, "nic_dc", "--slots", "2", "--shred-version", "7")
    started = start_sofd(tmp, "dumpcap", sched, "--pdump", shconf=True)
    if not started:
        return
    p, _, lines = started
    out = os.path.join(tmp, "cap.pcapng")
    prefix = sof_check.prefixes[-1]
    try:
        d = subprocess.Popen([dc, "--file-prefix", prefix, "-i", "net_af_packet0", "-w", out, "-c", "3"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2)
        pg = sh("ping", "-c", "3", "-i", "0.2", "-W", "1", ADDR, ns=True, check_rc=False)
        try:
            dout, derr = d.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            d.kill()
            dout, derr = d.communicate()
    finally:
        rc, err = stop_sofd(p, lines)
        # the primary's hugepage files outlive it (a secondary needs them
        # while it runs): remove them
        import glob
        for f in glob.glob(f"/dev/hugepages/{prefix}map_*"):
            os.unlink(f)
    if d.returncode != 0 and not os.path.exists(out):
        print(f"dumpcap: the secondary process could not attach: skipped ({(dout + derr).strip()[-300:]})",
              file=sys.stderr)
        return
    data = open(out, "rb").read() if os.path.exists(out) else b""
    check(data[:4] == b"\x0a\x0d\x0d\x0a", f"dumpcap: a pcapng file ({len(data)} bytes)")
    check(data.count(b"\x06\x00\x00\x00") >= 3, "dumpcap: at least 3 enhanced packet blocks")
    check(rc == 0, f"dumpcap: sofd exit status {rc} ({err[-300:]}; ping {pg.returncode})")


def main():
    why = setup()
    if why:
        teardown()
        print(f"skipping: {why}", file=sys.stderr)
        sys.exit(77)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            test_ping_and_udp(tmp)
            test_rate_limit(tmp)
            test_dumpcap(tmp)
    finally:
        teardown()
        sof_check.cleanup_runtime()
    print(f"sofd_nic: {sof_check.checks} checks, {sof_check.failures} failed")
    sys.exit(1 if sof_check.failures else 0)


main()
