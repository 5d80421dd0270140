#!/usr/bin/env python3
"""Gossip over the DPDK port (issue 23 with the NIC of issue 19).

sofd runs in a network namespace of its own whose only interface with an
address is the exception tap sofd creates ([input] exception = tap: the
tap holds [input] address, the veth end the port sits on holds none), on
net_af_packet (and net_af_xdp where the kernel and DPDK have it). The
cluster is in a peer namespace at the veth pair's other end: the test's
gossip entrypoint (tests/gossip_peer.py, the one test_sofd_gossip.py
runs, written from the spec, sharing no code with sofd: ip-echo, ping /
pong, pull / push) and the turbine sender, which looks sofd's TVU up in the entrypoint's CRDS
table and sends a sof-gen capture there.

Asserted: sofd's gossip socket is bound to the port's address inside
sofd's namespace and no other interface there has an address (no kernel
socket outside the port); sofd joins through the port (ip-echo over TCP
through the tap, the public address it reports is the port's); its
ContactInfo advertises the port's address with the gossip port and the
shred (TVU) port; it learns the shred version and exactly the nodes of
that version as candidates; shreds sent while it still joins are counted
before_join; the delivered transactions are the ground
truth with every slot's leader learned and no schedule; every datagram the
entrypoint and a hostile sender sent to the gossip port is counted by the
gossip role; the exception path dropped nothing and its frames balance
with the interfaces' own counters; sofd's counters balance; Prometheus
(promtool when installed) has the gossip and exception families.

Skipped (77) without sofd, root, ip netns / veth, ethtool or
python3-cryptography; the af_xdp run is skipped with the reason where the
kernel or DPDK lack AF_XDP.

usage: test_sofd_gossip_nic.py SOF_GEN [SOFD]
"""
import ctypes
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sof_check  # noqa: E402
from sof_check import check  # noqa: E402
from sof_nic import af_xdp_env, af_xdp_missing, ifstats  # noqa: E402

if len(sys.argv) < 3 or not sys.argv[2]:
    print("sofd was not built (DPDK not found): skipping", file=sys.stderr)
    sys.exit(77)
gen, sofd = sys.argv[1], sys.argv[2]

TAG = f"{os.getpid() % 100000}"
NS, NSX = f"sofgp{TAG}", f"sofgx{TAG}"          # the cluster's namespace, sofd's
XR, XN = f"sofgr{TAG}", f"sofgn{TAG}"           # sofd's veth end (in NSX), the peer's (in NS)
TAP = f"sofgt{TAG}"
XADDR, XPEER = "10.77.23.2", "10.77.23.1"

# The spec-side gossip peer (tests/gossip_peer.py: written from the spec,
# sharing no code with sofd): its entrypoint binds the peer namespace's
# address and names it in every ContactInfo it holds.
try:
    from gossip_peer import SV, Ed25519PrivateKey, Entrypoint, Turbine, leader_gossip_port, raw_pub  # noqa: E402
except ImportError as e:
    print(f"test_sofd_gossip_nic: SKIP: python3-cryptography (ed25519) not installed ({e})", file=sys.stderr)
    sys.exit(77)
START, LEADERS = 3000, 12
GOSSIP, TVU, EP_PORT = 8001, 8002, 8001
EARLY = 20  # shreds sent between sofd's ContactInfo reaching the entrypoint and the end of its join

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
_root_ns = None


def enter_ns(path):
    """This thread (and the threads it starts) into the network namespace at path."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e))
    finally:
        os.close(fd)


def sh(*args, ns=None, check_rc=True):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True)
    if check_rc and p.returncode:
        raise RuntimeError(f"{' '.join(cmd)}: {p.stderr.strip()}")
    return p


def teardown():
    if _root_ns:
        enter_ns(_root_ns)
    subprocess.run(["ip", "netns", "del", NS], capture_output=True)
    subprocess.run(["ip", "netns", "del", NSX], capture_output=True)


def setup():
    if os.geteuid() != 0 or not shutil.which("ip"):
        return "needs root and ip(8)"
    if not shutil.which("ethtool"):
        return "needs ethtool (TX checksum offload off on the veth peer)"
    try:
        sh("ip", "netns", "add", NS)
        sh("ip", "netns", "add", NSX)
        sh("ip", "link", "add", XR, "type", "veth", "peer", "name", XN)
        sh("ip", "link", "set", XR, "netns", NSX)
        sh("ip", "link", "set", XN, "netns", NS)
        # in sofd's namespace the kernel keeps out of the port's veth end
        # (net_af_packet does not steal its frames): strict reverse-path
        # filter (the route back is the tap), no ARP answers there, no IPv6
        for kv in ("net.ipv6.conf.default.disable_ipv6=1", f"net.ipv6.conf.{XR}.disable_ipv6=1",
                   f"net.ipv4.conf.{XR}.rp_filter=1", f"net.ipv4.conf.{XR}.arp_ignore=8"):
            sh("sysctl", "-qw", kv, ns=NSX)
        sh("ip", "link", "set", XR, "up", ns=NSX)
        sh("ip", "link", "set", "lo", "up", ns=NSX)
        sh("sysctl", "-qw", f"net.ipv6.conf.{XN}.disable_ipv6=1", ns=NS, check_rc=False)
        sh("ip", "addr", "add", f"{XPEER}/24", "dev", XN, ns=NS)
        sh("ip", "link", "set", XN, "up", ns=NS)
        sh("ip", "link", "set", "lo", "up", ns=NS)
        # a veth leaves checksums to the receiver; frames read off the port
        # and written to the tap carry none: the peer fills them in
        sh("ethtool", "-K", XN, "tx", "off", ns=NS)
    except (RuntimeError, OSError) as e:
        return f"cannot create the namespaces and a veth pair: {e}"
    return None


class CountingEntrypoint(Entrypoint):
    """The spec entrypoint, counting what it sends to and gets from sofd's gossip socket."""

    def __init__(self, *a, **kw):
        self.to_sofd = self.from_sofd = 0
        super().__init__(*a, **kw)

    def send(self, pkt, addr):
        if addr == (XADDR, GOSSIP):
            self.to_sofd += 1
        super().send(pkt, addr)

    def handle(self, pkt, addr):
        if addr == (XADDR, GOSSIP):
            self.from_sofd += 1
        super().handle(pkt, addr)


_cap = {}


def capture(tmp):
    if not _cap:
        keyf = os.path.join(tmp, "leaders.key")
        pcap, _, recs = sof_check.generate(gen, tmp, "gnic", "-n", "8", "--start-slot", str(START),
                                           "--leaders", str(LEADERS), "--leader-rotation", "4",
                                           "--txns-per-slot", "12", "--shred-version", str(SV), "-s", "29",
                                           "--leader-key", keyf)
        raw = open(keyf, "rb").read()
        _, frames = sof_check.pcap_frames(pcap)
        pls = sof_check.udp_payloads(frames, 8001)
        check(len(pls) > 100, f"a capture to send ({len(pls)} shreds)")
        _cap.update(kps=[raw[64 * i:64 * i + 64] for i in range(LEADERS)], recs=recs, pls=pls)
    return _cap["kps"], _cap["recs"], _cap["pls"]


def run(tmp, name, vdev):
    """sofd on vdev in NSX joins the entrypoint in NS through the port and
    delivers the capture the turbine sender sends to its advertised TVU.
    Returns False when an af_xdp vdev could not be set up (said why)."""
    kps, recs, pls = capture(tmp)
    truth = sof_check.truth_txs(recs)
    produced = {r["slot"] for r in recs if r["type"] == "slot" and not r.get("skipped")}
    ep = CountingEntrypoint(EP_PORT, kps, host=XPEER)  # this thread is in NS: so are its sockets
    sinks = []  # the leaders' gossip sockets: sofd's pings to them go unanswered, without ICMP errors
    for i in range(LEADERS):
        d = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        d.bind((XPEER, leader_gossip_port(i)))
        sinks.append(d)
    idk = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    idf = os.path.join(tmp, name + ".identity.json")
    open(idf, "w").write(json.dumps(list(bytes(range(1, 33)) + raw_pub(idk))))
    txlog = os.path.join(tmp, name + ".txlog")
    env = os.environ.copy()
    if "af_xdp" in vdev:  # DPDK 22.11's af_xdp PMD leaks libxdp's umem handle at close
        af_xdp_env(env)
    peer0 = ifstats(NS, XN)
    p = subprocess.Popen(["ip", "netns", "exec", NSX, sofd, *sof_check.eal("gnic", "0", vdevs=[vdev]), "--",
                          "--address", f"{XADDR}/24", "--udp-port", str(TVU), "--exception", "tap",
                          "--input-exception-iface", TAP, "--gossip-entrypoint", f"{XPEER}:{EP_PORT}",
                          "--gossip-port", str(GOSSIP), "--gossip-pull-interval-ms", "200",
                          "--gossip-push-interval-ms", "500", "--gossip-settle-ms", "1500",
                          "--gossip-identity", idf, "--learn-leaders", "--txlog", txlog,
                          "--prometheus", "127.0.0.1:0"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    lines, ready, rt = sof_check.read_stderr(p)
    junk_n = 0
    metrics = ""
    try:
        # turbine may find sofd as soon as the entrypoint holds its
        # ContactInfo, before sofd finished joining (settle_ms): shreds then
        # are counted before_join (sent again below with the rest)
        deadline = time.time() + 60
        while time.time() < deadline and p.poll() is None and not ready.is_set():
            if ep.joined():
                break
            time.sleep(0.02)
        early = 0
        if not ready.is_set() and p.poll() is None:
            out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for pl in pls[:EARLY]:
                out.sendto(pl, (XADDR, TVU))
                early += 1
            out.close()
        ok = ready.wait(90)
        if not ok and "af_xdp" in vdev and p.poll() is not None and not ep.stats["echo"]:
            rt.join()
            print(f"{name}: sofd could not start on {vdev}: {''.join(lines)[-500:]}", file=sys.stderr)
            return False
        check(ok, f"{name}: sofd joined through the port and started its pipeline ({''.join(lines)[-800:]})")
        if not ok:
            raise RuntimeError(f"{name}: sofd did not start")
        # sofd's namespace: the tap is the one interface with an address
        # besides loopback, and the gossip socket is bound to it
        addrs = sh("ip", "-4", "-o", "addr", "show", ns=NSX).stdout
        held = sorted((l.split()[1], l.split()[3]) for l in addrs.splitlines())
        check(held == sorted([("lo", "127.0.0.1/8"), (TAP, f"{XADDR}/24")]),
              f"{name}: in sofd's namespace only the tap holds an address ({held})")
        ss = sh("ss", "-Hnuap", ns=NSX).stdout
        gsock = [l for l in ss.splitlines() if f":{GOSSIP} " in l]
        check(len(gsock) == 1 and f"{XADDR}:{GOSSIP}" in gsock[0] and "sofd" in gsock[0],
              f"{name}: sofd's one gossip socket is bound to the port's address ({gsock})")
        # sofd's ContactInfo in the entrypoint's table
        others = ep.joined()
        check(len(others) == 1, f"{name}: sofd's ContactInfo in the entrypoint's table ({len(others)})")
        tvu = None
        if others:
            ci = others[0]
            tvu = Turbine.tvu_of(ci)
            check(ci["sockets"].get(0) == (XADDR, GOSSIP), f"{name}: the port's address and gossip port "
                  f"advertised ({ci['sockets']})")
            check(tvu == (XADDR, TVU), f"{name}: TVU = the port's address and shred port ({tvu})")
            check(ci["shredVersion"] == SV, f"{name}: the learned shred version advertised ({ci['shredVersion']})")
            check(ci["pubkey"] == raw_pub(idk), f"{name}: the identity is the key file's")
        # hostile datagrams to the gossip port, through the port and the tap
        junk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rng = random.Random(23)
        for i in range(40):
            junk.sendto(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))), (XADDR, GOSSIP))
            junk_n += 1
            time.sleep(0.002)
        junk.close()
        # the turbine sender: the capture to the TVU found in the CRDS table
        if tvu:
            turbine = Turbine(burst=4, pause=0.002)  # ~2k datagrams/s: sofd's lcore shares a loaded machine
            turbine.send(pls, tvu)
            turbine.close()
        time.sleep(2.0)
        m = re.search(r"Prometheus metrics on (http://\S+)", "".join(lines))
        if m:
            metrics = subprocess.run(["ip", "netns", "exec", NSX, sys.executable, "-c",
                                      "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen("
                                      "sys.argv[1], timeout=10).read().decode())", m.group(1)],
                                     capture_output=True, text=True).stdout
        tap = ifstats(NSX, TAP)
    finally:
        # the entrypoint stops answering first (everything it sent to sofd
        # arrives before sofd's gossip role stops counting); its sockets and
        # the leaders' stay open, so that what sofd still sends makes no
        # ICMP error that would reach sofd after it stopped receiving
        ep.stop_serving()
        time.sleep(0.5)
        sof_check.interrupt(p)
        rt.join()
        ep.close()
        for d in sinks:
            d.close()
    peer1 = ifstats(NS, XN)
    err = "".join(lines)
    check(p.returncode == 0, f"{name}: sofd exit 0 ({err[-600:]})")
    s = sof_check.summary_of(err)
    g = {}
    for line in lines:
        if line.startswith("sofd: gossip: {"):
            g = json.loads(line[len("sofd: gossip: "):])
    check(f"gossip: through the port's exception tap, bound to {XADDR}" in err,
          f"{name}: sofd says gossip rides the tap")
    joined = [l for l in lines if "gossip: joined" in l]
    check(joined and f"shred version {SV}, {LEADERS + 1} nodes" in joined[0],
          f"{name}: learned shred version {SV} and the {LEADERS + 1} nodes of it, not the decoy ({joined})")
    txs = sof_check.txs_of(sof_check.read_lines(txlog))
    check(txs == truth, f"{name}: the transactions are the truth ({len(txs)} vs {len(truth)})")
    ln = s.get("learned", {})
    check(ln.get("slots") == len(produced), f"{name}: every slot's leader learned ({ln} vs {len(produced)})")
    check(s.get("accepted", 0) + s.get("drops", {}).get("late", 0) == len(pls),
          f"{name}: every shred accepted or late ({s.get('accepted')} of {len(pls)}; drops {s.get('drops')})")
    check(early == EARLY and s.get("drops", {}).get("before_join") == EARLY,
          f"{name}: the shreds sent while sofd joined counted before_join ({early} sent, "
          f"{s.get('drops', {}).get('before_join')} counted)")
    total = s.get("accepted", 0) + sum(v for v in s.get("drops", {}).values() if isinstance(v, int)) \
        + sum(s.get("drops", {}).get("malformed", {}).values()) + sum(s.get("drops", {}).get("rejected", {}).values())
    check(total == s.get("rxPackets") and s.get("balanced") is True,
          f"{name}: sofd's counters add up to the frames received ({total} vs {s.get('rxPackets')})")
    # the gossip role counted every datagram sent to it: the entrypoint's and the junk
    check(g.get("rx_packets", 0) + g.get("rx_kernel_dropped", 0) == ep.to_sofd + junk_n,
          f"{name}: the gossip role counted what was sent to it ({g.get('rx_packets')} received + "
          f"{g.get('rx_kernel_dropped')} dropped by the kernel vs {ep.to_sofd} from the entrypoint + {junk_n} junk)")
    # ... and the rx role before it: UDP to a port that is not a shred port
    check(s.get("drops", {}).get("wrong_port") == ep.to_sofd + junk_n,
          f"{name}: the rx role counted each gossip datagram (wrong_port {s.get('drops', {}).get('wrong_port')} vs "
          f"{ep.to_sofd} + {junk_n})")
    check(g.get("rx_malformed", 0) >= junk_n - 5, f"{name}: the junk counted malformed ({g.get('rx_malformed')})")
    check(g.get("tx_errors") == 0 and ep.from_sofd >= 1 and g.get("tx_packets", 0) >= ep.from_sofd,
          f"{name}: sofd's datagrams left through the tap ({g.get('tx_packets')} sent, "
          f"{ep.from_sofd} at the entrypoint, {g.get('tx_errors')} errors)")
    check(g.get("ip_echo_ok", 0) >= 1 and ep.stats["echo"] >= 1 and g.get("publicIp") == XADDR,
          f"{name}: ip-echo over TCP through the tap reports the port's address ({g.get('publicIp')}, {ep.stats})")
    check(g.get("shred_version") == SV, f"{name}: gossip shred version ({g.get('shred_version')})")
    check(g.get("rx_pings", 0) >= 1 and g.get("tx_pongs", 0) >= 1 and ep.stats["pongs_ok"] >= 1 and
          g.get("nodes_verified", 0) == 1,
          f"{name}: pings and pongs both ways with the entrypoint ({g.get('rx_pings')}, {g.get('tx_pongs')}, "
          f"{g.get('nodes_verified')}, {ep.stats})")
    check(g.get("tx_pull_requests", 0) >= 1 and ep.stats["pulls_answered"] >= 1 and ep.stats["pushes_rx"] >= 1,
          f"{name}: pulls answered, pushes taken ({ep.stats})")
    check(g.get("nodes") == LEADERS + 2 and ep.stats["bad"] == 0,
          f"{name}: nodes held: entrypoint + leaders + decoy ({g.get('nodes')}; entrypoint {ep.stats})")
    # the exception path: no drop, its frames equal the interfaces' counts
    x = s.get("exception", {})
    sent_peer, got_peer = peer1[1] - peer0[1], peer1[0] - peer0[0]
    garp = 1 if "gratuitous ARP sent" in err else 0
    # the gossip role sends until sofd stops it, after the rx lcores: what
    # it sent in between is counted exitFromKernel, nothing else is dropped
    xd = x.get("drops", {"none": 1})
    check(all(v == 0 for k, v in xd.items() if not k.startswith("exit")),
          f"{name}: no drop on the exception path but at exit ({xd})")
    check(x.get("fromKernel") == x.get("relayed", 0) + sum(xd.get(k, 0) for k in ("fromRingFull", "nicTxFull",
                                                                                 "exitFromKernel")),
          f"{name}: the kernel's frames relayed or counted ({x})")
    check(s.get("rxPackets") == sent_peer, f"{name}: sofd received every frame the peer sent "
          f"({s.get('rxPackets')} vs {sent_peer}; lost before sofd {s.get('lostBefore')})")
    check(x.get("classified") == sent_peer - len(pls) - early and x.get("toKernel") == x.get("classified"),
          f"{name}: every frame but the shreds went to the kernel ({x.get('classified')} classified, "
          f"{x.get('toKernel')} to the kernel, {sent_peer} sent, {len(pls)} shreds)")
    check(x.get("classified", 0) >= ep.to_sofd + junk_n,
          f"{name}: the gossip datagrams are among them ({x.get('classified')} vs {ep.to_sofd} + {junk_n})")
    # (the tap's own counters were read while sofd ran: at most sofd's final ones)
    check(tap[0] <= x.get("toKernel", 0) and tap[1] <= x.get("fromKernel", 0),
          f"{name}: the tap's counters agree (tap rx {tap[0]} tx {tap[1]}; {x})")
    check(got_peer == x.get("relayed", -1) + garp,
          f"{name}: the peer received the kernel's frames and the gratuitous ARP ({got_peer} vs "
          f"{x.get('relayed')} + {garp})")
    prom = dict(re.findall(r"^(sof_(?:gossip|exc)_\S+) (\d+)$", metrics, re.M))
    check(prom.get("sof_gossip_shred_version") == str(SV) and prom.get("sof_gossip_nodes") == str(LEADERS + 2)
          and int(prom.get("sof_gossip_rx_packets_total", "0")) >= 1 and "sof_exc_to_kernel_total" in prom,
          f"{name}: Prometheus has the gossip and exception families ({sorted(prom)[:8]}...)")
    promtool = shutil.which("promtool")
    if promtool and metrics:
        pt = subprocess.run([promtool, "check", "metrics"], input=metrics, capture_output=True, text=True)
        check(pt.returncode == 0 and not (pt.stdout + pt.stderr).strip(),
              f"{name}: promtool check metrics is silent ({(pt.stdout + pt.stderr).strip()[:400]})")
    print(f"{name}: joined through {vdev.split(',')[0]}; gossip {g.get('rx_packets')} in / {g.get('tx_packets')} "
          f"out; {x.get('classified')} frames to the kernel, {x.get('relayed')} from it; {len(txs)} transactions",
          file=sys.stderr)
    return True


def dead_entrypoint(tmp):
    """Nobody answers at the entrypoint (ip-echo's TCP refused through the
    tap): sofd gives up after join_timeout_ms, exit 2 naming what is missing,
    the bootstrap thread, the tap and the port released."""
    r = subprocess.run(["ip", "netns", "exec", NSX, sofd, *sof_check.eal("gnic", "0", vdevs=[
        f"net_af_packet0,iface={XR}"]), "--", "--address", f"{XADDR}/24", "--udp-port", str(TVU), "--exception",
        "tap", "--input-exception-iface", TAP, "--gossip-entrypoint", f"{XPEER}:{EP_PORT + 5}",
        "--gossip-join-timeout-ms", "2500", "--learn-leaders"], capture_output=True, text=True, timeout=90)
    check(r.returncode == 2 and "not joined after 2500 ms (no shred version" in r.stderr and
          "ip-echo 0 ok" in r.stderr,
          f"dead entrypoint through the port: exit 2 with the reason (rc {r.returncode}: {r.stderr.strip()[-400:]})")
    left = sh("ip", "-o", "link", "show", ns=NSX).stdout
    check(TAP not in left, f"dead entrypoint: the tap is gone at exit ({left.strip()[-300:]})")
    # the gossip port cannot be a shred port: gossip would never reach the kernel
    r = subprocess.run([sofd, *sof_check.eal("gnic", "0"), "--", "--address", f"{XADDR}/24", "--udp-port",
                        str(GOSSIP), "--exception", "tap", "--gossip-entrypoint", f"{XPEER}:{EP_PORT}",
                        "--gossip-port", str(GOSSIP), "--learn-leaders"], capture_output=True, text=True, timeout=60)
    check(r.returncode == 2 and "is one of [input] udp_ports" in r.stderr,
          f"a gossip port among the shred ports is refused (rc {r.returncode}: {r.stderr.strip()[-300:]})")


def main():
    global _root_ns
    why = setup()
    if why:
        teardown()
        print(f"skipping: {why}", file=sys.stderr)
        sys.exit(77)
    # the test's own thread joins the peer namespace: the entrypoint, the
    # turbine sender and the junk sender live there (subprocesses go where
    # `ip netns exec` puts them)
    _root_ns = f"/proc/{os.getpid()}/task/{threading.get_native_id()}/ns/net"
    root_fd = os.open(_root_ns, os.O_RDONLY)
    _root_ns = f"/proc/self/fd/{root_fd}"
    try:
        enter_ns(f"/var/run/netns/{NS}")
        with tempfile.TemporaryDirectory() as tmp:
            only = os.environ.get("SOF_GOSSIP_NIC_ONLY", "").split(",")
            if only == [""] or "af_packet" in only:
                run(tmp, "af_packet", f"net_af_packet0,iface={XR},framecnt=2048")
            if only == [""] or "dead" in only:
                dead_entrypoint(tmp)
            if only == [""] or "af_xdp" in only:
                why = af_xdp_missing()
                if why:
                    print(f"af_xdp: {why}: skipped", file=sys.stderr)
                else:
                    check(run(tmp, "af_xdp", f"net_af_xdp0,iface={XR},start_queue=0,queue_count=1"),
                          "af_xdp: sofd started on net_af_xdp")
    finally:
        teardown()
        os.close(root_fd)
        sof_check.cleanup_runtime()
    print(f"sofd_gossip_nic: {sof_check.checks} checks, {sof_check.failures} failed")
    sys.exit(1 if sof_check.failures else 0)


main()
