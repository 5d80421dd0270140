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
  (skipped with a message without dpdk-dumpcap or when it cannot attach);
- the same ping / ARP / kernel UDP run with sofd on net_af_xdp
  (iface=..., start_queue=0, queue_count=1: the PMD loads its XDP program
  on the veth end, generic mode); skipped with the PMD's message where
  AF_XDP cannot be had (no AF_XDP sockets in the kernel, DPDK without the
  af_xdp PMD); where both are there, sofd must run on it;
- [input] exception = tap on a second veth pair whose sofd end sits in a
  namespace of its own (sofd runs there, its tap gets the address): ping
  and a TCP echo from the peer namespace reach that namespace's kernel
  through sofd while the shreds reach the pipeline (transaction log = the
  truth); the frames each way equal the peer's and the tap's own interface
  counters, with no drop; Prometheus has the same counts; run on
  net_af_packet (two queues, two rx instances) and on net_af_xdp; a tap
  name another interface holds is refused with a message.

Skipped (77) without sofd, without root / ip netns / veth, or without ping.
The namespace and links are removed even on failure.

usage: test_sofd_nic.py SOF_GEN [SOFD]
(SOF_NIC_ONLY=af_xdp,exception runs only those parts)
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
from sof_nic import af_xdp_env, af_xdp_missing, ifstats

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


# [input] exception = tap: sofd's namespace, the second pair, its subnet
NSX = f"sofnx{TAG}"
XR, XN = f"sofxr{TAG}", f"sofxn{TAG}"  # sofd's end (in NSX), the peer's end (in NS)
XADDR, XPEER = "10.77.20.2", "10.77.20.1"
TAP = f"sofx{TAG}"


def teardown():
    subprocess.run(["ip", "link", "del", VR], capture_output=True)
    subprocess.run(["ip", "netns", "del", NS], capture_output=True)
    subprocess.run(["ip", "netns", "del", NSX], capture_output=True)


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


def start_sofd(tmp, name, sched, *extra, shconf=False, vdev=None, ns=None, addr=ADDR, may_fail=False,
               ready="gratuitous ARP", lcores="0"):
    """sofd on vdev (default: net_af_packet on VR) with --address addr,
    in namespace ns (default: this one). Returns (process, txlog, stderr
    lines so far) once the port is up; with may_fail, (None, None, output)
    when sofd exits before that."""
    txlog = os.path.join(tmp, name + ".txlog")
    ealargs = sof_check.eal("nic", lcores, vdevs=[vdev or f"net_af_packet0,iface={VR}"])
    if shconf:
        # a secondary process (dpdk-dumpcap) attaches through the shared
        # config and hugepage-backed memory: no --no-shconf, no --no-huge
        ealargs.remove("--no-shconf")
        ealargs = [a for a in ealargs if a not in ("--no-huge", "-m", "512")] + ["-m", "384"]
    env = os.environ.copy()
    if any("af_xdp" in a for a in ealargs):
        af_xdp_env(env)  # the PMD's own leak at close suppressed, that site only
    p = subprocess.Popen([*(["ip", "netns", "exec", ns] if ns else []), sofd, *ealargs, "--",
                          "--address", f"{addr}/24", "--leader-schedule", sched,
                          "--shred-version", "7", "--udp-port", str(PORT), "--txlog", txlog, *extra],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    # ready once the gratuitous ARP line is out (the port is started)
    deadline = time.time() + 30
    lines = []
    while time.time() < deadline:
        l = p.stderr.readline()
        if not l:
            break
        lines.append(l)
        if ready in l:
            return p, txlog, lines
    p.kill()
    out = "".join(lines) + p.stderr.read()
    p.wait()
    if may_fail:
        return None, None, out
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
    # ~4k datagrams/s: a sanitizer build of sofd on a loaded machine keeps
    # up (an AF_XDP ring overran at 16k/s there)
    if i % 8 == 7:
        time.sleep(0.002)
"""


_capture = {}


def capture(tmp):
    """The sof-gen capture of these tests: (schedule, records, shred
    payloads, their files for SENDER), made once."""
    if not _capture:
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
        _capture.update(sched=sched, recs=recs, pls=pls, paths=paths)
    c = _capture
    return c["sched"], c["recs"], c["pls"], c["paths"]


def test_ping_and_udp(tmp, name="ping_udp", vdev=None):
    """ping, ARP resolution and kernel UDP shreds on vdev (default
    net_af_packet). Returns False when vdev could not be set up (may_fail:
    the caller says why), else True."""
    sched, recs, pls, paths = capture(tmp)
    p, txlog, lines = start_sofd(tmp, name, sched, vdev=vdev, may_fail=vdev is not None)
    if p is None:
        print(f"{name}: sofd could not start on {vdev}: {lines.strip()[-500:]}", file=sys.stderr)
        return False
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
    check(bool(s), f"{name}: a summary on stderr ({err[-600:]})")
    check(rc == 0, f"{name}: sofd exit status {rc} ({err[-400:]})")
    check(s.get("icmpReplies", 0) >= 3, f"{name}: ICMP echo replies counted ({s.get('icmpReplies')})")
    check(s.get("arpReplies", 0) >= 2, f"{name}: ARP replies counted ({s.get('arpReplies')})")
    check(s.get("txDropped") == 0, f"{name}: nothing dropped at TX ({s.get('txDropped')})")
    # a set's shreds after its recovery are counted late (as on any input)
    check(s.get("accepted", 0) + s.get("drops", {}).get("late", 0) == len(pls),
          f"{name}: every shred datagram accepted or late "
          f"({s.get('accepted')} of {len(pls)}; drops {s.get('drops')}, lost before sofd {s.get('lostBefore')})")
    got = sof_check.txs_of(sof_check.read_lines(txlog))
    want = sof_check.truth_txs(recs)
    check(got == want, f"{name}: the transaction log is the truth ({len(got)} vs {len(want)})")
    balanced(name, s)
    drv = (vdev or "net_af_packet0").split(",")[0].rstrip("0123456789")
    check(s.get("driver") == drv, f"{name}: sofd ran on {drv} ({s.get('driver')})")
    print(f"{name}: {len(pls)} datagrams, {len(got)} transactions, arp {s.get('arpReplies')} "
          f"icmp {s.get('icmpReplies')}", file=sys.stderr)
    return True


def test_rate_limit(tmp):
    _, sched, _ = sof_check.generate(gen, tmp, "nic_rl", "--slots", "2", "--shred-version", "7")
    p, _, lines = start_sofd(tmp, "rate", sched, "--input-icmp-rate", "1")
    try:
        # one echo first, so that the peer has resolved sofd's address by ARP
        # (on a loaded machine its kernel drops what waits for ARP), then a
        # full bucket's worth of time
        sh("ping", "-c", "1", "-W", "3", ADDR, ns=True, check_rc=False)
        time.sleep(1.2)
        pg = sh("ping", "-c", "6", "-i", "0.2", "-W", "1", ADDR, ns=True, check_rc=False)
    finally:
        rc, err = stop_sofd(p, lines)
    s = sof_check.summary_of(err)
    check(rc == 0 and bool(s), f"rate: sofd exit status {rc} and a summary ({err[-400:]})")
    # 1/s with a one-second bucket: the warm-up echo answered; of the six
    # 0.2 s apart, the first answered, at most one more (their 1 s span),
    # the rest limited
    seen = s.get("icmpReplies", 0) + s.get("icmpRateLimited", 0)
    check(seen == 7 and 2 <= s.get("icmpReplies", 0) <= 3 and s.get("icmpRateLimited", 0) >= 4,
          f"rate: icmp_rate 1 answers 1-2 of 6 after a warm-up ({seen} requests came ({s.get('icmpReplies')} answered, "
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


def test_af_xdp(tmp):
    """The ping / ARP / UDP run on net_af_xdp over the same veth end. The
    PMD loads its XDP program (generic mode on veth) and removes it at
    exit. Skipped only where the kernel or DPDK lack AF_XDP."""
    why = af_xdp_missing()
    if why:
        print(f"af_xdp: {why}: skipped", file=sys.stderr)
        return
    vdev = f"net_af_xdp0,iface={VR},start_queue=0,queue_count=1"
    check(test_ping_and_udp(tmp, "af_xdp", vdev), "af_xdp: sofd started on net_af_xdp")


def setup_exception():
    """sofd's namespace NSX, the pair XR (in NSX) / XN (in the peer NS). In
    NSX the kernel keeps out of XR (net_af_packet does not steal frames):
    strict reverse-path filter (the route back to the peer is the tap) and
    no ARP replies on it; IPv6 off on new interfaces (the tap) so the
    kernel's frames are only answers to the test's."""
    try:
        sh("ip", "netns", "add", NSX)
        sh("ip", "link", "add", XR, "type", "veth", "peer", "name", XN)
        sh("ip", "link", "set", XR, "netns", NSX)
        sh("ip", "link", "set", XN, "netns", NS)
        for kv in (f"net.ipv6.conf.default.disable_ipv6=1", f"net.ipv6.conf.{XR}.disable_ipv6=1",
                   f"net.ipv4.conf.{XR}.rp_filter=1", f"net.ipv4.conf.{XR}.arp_ignore=8"):
            sh("ip", "netns", "exec", NSX, "sysctl", "-qw", kv)
        sh("ip", "netns", "exec", NSX, "ip", "link", "set", XR, "up")
        sh("ip", "netns", "exec", NSX, "ip", "link", "set", "lo", "up")
        sh("sysctl", "-qw", f"net.ipv6.conf.{XN}.disable_ipv6=1", ns=True, check_rc=False)
        sh("ip", "addr", "add", f"{XPEER}/24", "dev", XN, ns=True)
        sh("ip", "link", "set", XN, "up", ns=True)
        # a veth leaves TCP checksums to the receiver (CHECKSUM_PARTIAL), and
        # a frame read off XR and written to the tap carries none: the
        # peer computes them (a real NIC or wire has them filled in)
        if not shutil.which("ethtool"):
            return "needs ethtool (TX checksum offload off on the veth peer)"
        sh("ethtool", "-K", XN, "tx", "off", ns=True)
    except (RuntimeError, OSError) as e:
        return f"cannot create sofd's namespace and a second veth pair: {e}"
    return None


ECHO_SERVER = r"""
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); s.settimeout(30)
print("listening", flush=True)
c, _ = s.accept(); c.settimeout(30)
n = 0
while True:
    b = c.recv(65536)
    if not b:
        break
    c.sendall(b); n += len(b)
c.close()
print(n, flush=True)
"""

ECHO_CLIENT = r"""
import socket, sys
data = bytes(range(256)) * 64
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20)
c.sendall(data); c.shutdown(socket.SHUT_WR)
got = b""
while True:
    b = c.recv(65536)
    if not b:
        break
    got += b
print("echo ok" if got == data else f"echo differs: {len(got)} of {len(data)} bytes")
"""


def test_exception(tmp):
    why = setup_exception()
    if why:
        print(f"exception: {why}: skipped", file=sys.stderr)
        return
    # two rx instances on two af_packet queues (a fanout group): each hands
    # its frames to the kernel on its own ring, instance 0 relays
    exception_taken_name(tmp)
    exception_run(tmp, "exception", f"net_af_packet0,iface={XR},qpairs=2", 7019, "0,1",
                  "--topology-rx", "0,1", "--topology-fec", "0", "--topology-extract", "1",
                  "--topology-dispatch", "1", "--topology-plugins", "1")
    # on AF_XDP the kernel does not see the port's frames at all
    why = af_xdp_missing()
    if why:
        print(f"exception_af_xdp: {why}: skipped", file=sys.stderr)
        return
    check(exception_run(tmp, "exception_af_xdp", f"net_af_xdp0,iface={XR},start_queue=0,queue_count=1",
                        7020), "exception_af_xdp: sofd started on net_af_xdp")


def exception_taken_name(tmp):
    """The tap's name taken by another interface: sofd refuses to start,
    saying so."""
    sched, _, _, _ = capture(tmp)
    r = subprocess.run(["ip", "netns", "exec", NSX, sofd, *sof_check.eal("nic", "0", vdevs=[
        f"net_af_packet0,iface={XR}"]), "--", "--address", f"{XADDR}/24", "--leader-schedule", sched,
        "--shred-version", "7", "--udp-port", str(PORT), "--exception", "tap", "--input-exception-iface", XR],
        capture_output=True, text=True, timeout=60)
    check(r.returncode != 0 and "[input] exception = tap: net_tap" in r.stderr and
          "is the interface name taken?" in r.stderr,
          f"exception: a taken tap name is refused with a message (rc {r.returncode}: {r.stderr.strip()[-300:]})")


def exception_run(tmp, name, vdev, tcp_port, lcores="0", *extra):
    """sofd with exception = tap on vdev in NSX: ping, a TCP echo and the
    shreds from the peer namespace. False when an af_xdp vdev could not be
    set up (the message printed)."""
    sched, recs, pls, paths = capture(tmp)
    p, txlog, lines = start_sofd(tmp, name, sched, "--exception", "tap", "--input-exception-iface",
                                 TAP, "--prometheus", "127.0.0.1:0", *extra, vdev=vdev, ns=NSX, addr=XADDR,
                                 ready="Prometheus metrics on", may_fail="af_xdp" in vdev, lcores=lcores)
    if p is None:
        print(f"{name}: sofd could not start on {vdev}: {lines.strip()[-500:]}", file=sys.stderr)
        return False
    url = next((m.group(1) for m in (re.search(r"Prometheus metrics on (http://\S+)", l) for l in lines) if m),
               None)
    peer0 = ifstats(NS, XN)
    srv = None
    try:
        sh("ip", "neigh", "flush", "dev", XN, ns=True, check_rc=False)
        pg = sh("ping", "-c", "3", "-i", "0.2", "-W", "2", XADDR, ns=True, check_rc=False)
        check(pg.returncode == 0 and " 3 received" in pg.stdout and "DUP" not in pg.stdout,
              f"{name}: ping -c 3 {XADDR}: 3 replies, from the kernel through sofd "
              f"({pg.stdout.strip()[-200:]} {pg.stderr.strip()})")
        neigh = sh("ip", "neigh", "show", XADDR, "dev", XN, ns=True).stdout
        mac = subprocess.run(["ip", "netns", "exec", NSX, "cat", f"/sys/class/net/{XR}/address"],
                             capture_output=True, text=True).stdout.strip()
        check(mac and mac in neigh and "PERMANENT" not in neigh,
              f"{name}: the kernel's ARP reply (through sofd) resolved {XADDR} to the port's MAC "
              f"{mac} ({neigh.strip()})")
        srv = subprocess.Popen(["ip", "netns", "exec", NSX, sys.executable, "-c", ECHO_SERVER, XADDR,
                                str(tcp_port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        check(srv.stdout.readline().strip() == "listening", f"{name}: the TCP server listens in sofd's namespace")
        cl = subprocess.run(["ip", "netns", "exec", NS, sys.executable, "-c", ECHO_CLIENT, XADDR,
                             str(tcp_port)], capture_output=True, text=True, timeout=60)
        check(cl.stdout.strip() == "echo ok", f"{name}: a TCP connection to {XADDR}:{tcp_port} through "
              f"sofd echoes 16 KiB ({cl.stdout.strip()} {cl.stderr.strip()[-300:]})")
        sout, _ = srv.communicate(timeout=30)
        check(sout.strip() == str(256 * 64), f"{name}: the server in sofd's namespace got the bytes ({sout.strip()})")
        sd = subprocess.run(["ip", "netns", "exec", NS, sys.executable, "-c", SENDER, XADDR, str(PORT),
                             *paths], capture_output=True, text=True, timeout=120)
        check(sd.returncode == 0, f"{name}: the kernel UDP sender ({sd.stderr.strip()[-300:]})")
        time.sleep(1.5)
        tap = ifstats(NSX, TAP)  # the kernel's own count of the tap, while it exists
        # Prometheus (sofd's loopback is in its namespace)
        metrics = subprocess.run(["ip", "netns", "exec", NSX, sys.executable, "-c",
                                  "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen("
                                  "sys.argv[1], timeout=10).read().decode())", str(url)],
                                 capture_output=True, text=True).stdout
    finally:
        if srv and srv.poll() is None:
            srv.kill()
            srv.communicate()
        rc, err = stop_sofd(p, lines)
    peer1 = ifstats(NS, XN)
    s = sof_check.summary_of(err)
    check(bool(s) and rc == 0, f"{name}: sofd exit status {rc} and a summary ({err[-600:]})")
    x = s.get("exception", {})
    check(all(v == 0 for v in x.get("drops", {"none": 1}).values()), f"{name}: no drop on the exception "
          f"path ({x.get('drops')})")
    sent_peer = peer1[1] - peer0[1]  # frames the peer sent to sofd
    got_peer = peer1[0] - peer0[0]   # frames the peer received from sofd
    check(s.get("rxPackets") == sent_peer, f"{name}: sofd received every frame the peer sent "
          f"({s.get('rxPackets')} vs {sent_peer})")
    check(x.get("classified") == sent_peer - len(pls) and x.get("toKernel") == x.get("classified"),
          f"{name}: every frame but the {len(pls)} shreds went to the kernel ({x.get('classified')} "
          f"classified, {x.get('toKernel')} to the kernel, {sent_peer} sent)")
    check(x.get("toKernel") == tap[0], f"{name}: the tap's kernel side received what sofd counts "
          f"({tap[0]} vs {x.get('toKernel')})")
    check(x.get("fromKernel") == tap[1] and x.get("relayed") == tap[1],
          f"{name}: what the kernel sent on the tap went out of the port ({tap[1]} sent, "
          f"{x.get('fromKernel')} taken, {x.get('relayed')} relayed)")
    check(got_peer == x.get("relayed"), f"{name}: the peer received the kernel's frames ({got_peer} vs "
          f"{x.get('relayed')} relayed)")
    # ARP request + 3 echo requests + the TCP connection's segments, at least
    check(x.get("classified", 0) >= 4 + 5, f"{name}: ARP, ICMP and TCP reached the kernel ({x.get('classified')})")
    check(s.get("arpReplies") == 0 and s.get("icmpReplies") == 0,
          f"{name}: sofd answered nothing itself ({s.get('arpReplies')} ARP, {s.get('icmpReplies')} ICMP)")
    check(s.get("accepted", 0) + s.get("drops", {}).get("late", 0) == len(pls),
          f"{name}: every shred datagram accepted or late ({s.get('accepted')} of {len(pls)}; "
          f"drops {s.get('drops')})")
    got = sof_check.txs_of(sof_check.read_lines(txlog))
    want = sof_check.truth_txs(recs)
    check(got == want, f"{name}: the transaction log is the truth ({len(got)} vs {len(want)})")
    balanced(name, s)
    prom = dict(re.findall(r"^(sof_exc_\S+) (\d+)$", metrics, re.M))
    check(prom.get("sof_exc_to_kernel_total") == str(x.get("toKernel")) and
          prom.get("sof_exc_relayed_total") == str(x.get("relayed")) and
          sum(1 for k in prom if k.startswith("sof_exc_dropped_total{reason=")) == 6,
          f"{name}: Prometheus has the exception path's counters ({prom})")
    promtool = shutil.which("promtool")
    if promtool:
        pt = subprocess.run([promtool, "check", "metrics"], input=metrics, capture_output=True, text=True)
        check(pt.returncode == 0 and not (pt.stdout + pt.stderr).strip(),
              f"{name}: promtool check metrics is silent ({(pt.stdout + pt.stderr).strip()[:500]})")
    rx = [r.get("processed") for r in s.get("roles", []) if r.get("role") == "rx"]
    print(f"{name}: {sent_peer} frames from the peer ({len(pls)} shreds, {x.get('toKernel')} to the "
          f"kernel), {x.get('relayed')} from the kernel out of the port, {len(got)} transactions; "
          f"frames per rx instance {rx}", file=sys.stderr)
    return True


def main():
    why = setup()
    if why:
        teardown()
        print(f"skipping: {why}", file=sys.stderr)
        sys.exit(77)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            only = os.environ.get("SOF_NIC_ONLY", "").split(",")
            for name, t in (("ping_udp", test_ping_and_udp), ("rate", test_rate_limit),
                            ("dumpcap", test_dumpcap), ("af_xdp", test_af_xdp),
                            ("exception", test_exception)):
                if only == [""] or name in only:
                    t(tmp)
    finally:
        teardown()
        sof_check.cleanup_runtime()
    print(f"sofd_nic: {sof_check.checks} checks, {sof_check.failures} failed")
    sys.exit(1 if sof_check.failures else 0)


main()
