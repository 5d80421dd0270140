#!/usr/bin/env python3
"""sofd joins a local gossip cluster and receives turbine with no feed
configured (issue 23).

The test runs, in this process:
- a gossip entrypoint written here from the gossip spec (Agave's gossip
  crate layouts; it shares no code with sofd's encoder): ip-echo on TCP
  (this host's address and the shred version), and on UDP ping / pong,
  pull requests answered from its CRDS table through the requester's bloom
  filter (only once the requester answered a ping), pushes taken in. Its
  table holds its own ContactInfo, one ContactInfo per sof-gen leader
  (signed with the leader keys) and a decoy node of another shred version;
- a turbine sender that looks up sofd's advertised TVU socket in the
  entrypoint's CRDS table and sends a sof-gen capture's shreds there.

sofd runs with the UDP driver, --gossip-entrypoint, --learn-leaders and no
schedule, no --shred-version, no --public-ip. Asserted: sofd's ContactInfo
in the entrypoint's table (signature, gossip and TVU sockets, shred
version); sofd learns the shred version and exactly the nodes of that
version as candidates; the delivered transactions equal the ground truth
with every slot's leader learned; pings and pongs both ways, pulls and
pushes counted; hostile datagrams to the gossip port counted, not fatal;
/sof/gossip-style summary. Needs python3-cryptography (ed25519), skipped
(77) without it or without sofd.

usage: test_sofd_gossip.py SOF_GEN [SOFD]
"""
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sof_check  # noqa: E402
from sof_check import check  # noqa: E402

if len(sys.argv) < 3 or not sys.argv[2]:
    print("sofd was not built (DPDK not found): skipping", file=sys.stderr)
    sys.exit(77)
try:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
    from cryptography.exceptions import InvalidSignature
except ImportError:
    print("test_sofd_gossip: SKIP: python3-cryptography (ed25519) not installed", file=sys.stderr)
    sys.exit(77)

gen, sofd = sys.argv[1], sys.argv[2]
START, SLOTS, LEADERS, SV = 2000, 12, 20, 4321


# ---- the wire format, from the spec ------------------------------------------------------------

def u8(v): return struct.pack("<B", v)
def u16(v): return struct.pack("<H", v)
def u32(v): return struct.pack("<I", v)
def u64(v): return struct.pack("<Q", v)


def varint(v):
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        out += bytes([b | (0x80 if v else 0)])
        if not v:
            return out


def shortvec(n):
    return varint(n)  # compact-u16: the same LEB128 for n < 2^16


class Rd:
    def __init__(self, b):
        self.b, self.o = b, 0

    def take(self, n):
        if self.o + n > len(self.b):
            raise ValueError("truncated")
        s = self.b[self.o:self.o + n]
        self.o += n
        return s

    def u8(self): return self.take(1)[0]
    def u16(self): return struct.unpack("<H", self.take(2))[0]
    def u32(self): return struct.unpack("<I", self.take(4))[0]
    def u64(self): return struct.unpack("<Q", self.take(8))[0]

    def varint(self):
        v = s = 0
        while True:
            b = self.u8()
            v |= (b & 0x7F) << s
            s += 7
            if not b & 0x80:
                return v


def ci_data(pub, wallclock, outset, shred_version, sockets):
    """CrdsData::ContactInfo: tag 11, pubkey, varint wallclock, outset,
    shred version, version (varints major/minor/patch, u32 commit, u32
    feature set, varint client), short_vec IpAddr, short_vec sockets (key,
    addr index, varint port offset, ports ascending), short_vec extensions."""
    sockets = sorted(sockets, key=lambda s: s[2])
    addrs = []
    for _, ip, _ in sockets:
        if ip not in addrs:
            addrs.append(ip)
    b = u32(11) + pub + varint(wallclock) + u64(outset) + u16(shred_version)
    b += varint(2) + varint(1) + varint(0) + u32(0) + u32(0) + varint(3)
    b += shortvec(len(addrs)) + b"".join(u32(0) + socket.inet_aton(a) for a in addrs)
    b += shortvec(len(sockets))
    prev = 0
    for key, ip, port in sockets:
        b += u8(key) + u8(addrs.index(ip)) + varint(port - prev)
        prev = port
    return b + shortvec(0)


def ci_parse(r):
    """A ContactInfo body (after the tag): dict with pubkey, wallclock,
    outset, shredVersion, sockets {key: (ip, port)}."""
    ci = {"pubkey": r.take(32), "wallclock": r.varint(), "outset": r.u64(), "shredVersion": r.u16()}
    r.varint(), r.varint(), r.varint(), r.u32(), r.u32(), r.varint()
    addrs = []
    for _ in range(r.varint()):
        if r.u32() != 0:
            raise ValueError("ipv6")
        addrs.append(socket.inet_ntoa(r.take(4)))
    socks, port = {}, 0
    for _ in range(r.varint()):
        key, idx = r.u8(), r.u8()
        port += r.varint()
        socks[key] = (addrs[idx], port)
    for _ in range(r.varint()):
        r.u8()
        r.take(r.varint())
    ci["sockets"] = socks
    return ci


def verify(pub, sig, msg):
    try:
        Ed25519PublicKey.from_public_bytes(pub).verify(sig, msg)
        return True
    except InvalidSignature:
        return False


def raw_pub(sk):
    from cryptography.hazmat.primitives import serialization
    return sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fnv1a(key, data):
    h = key
    for c in data:
        h = ((h ^ c) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


# ---- the entrypoint -----------------------------------------------------------------------------

class Entrypoint:
    def __init__(self, port, leader_kps, echo_shred_version=True):
        self.port = port
        self.echo_sv = echo_shred_version
        self.sk = Ed25519PrivateKey.generate()
        self.pub = raw_pub(self.sk)
        self.table = {}          # pubkey -> (value bytes, parsed ContactInfo)
        self.tokens = {}         # addr -> the token of our last ping
        self.verified = set()    # addrs that answered
        self.stats = {k: 0 for k in ("pings_rx", "pongs_tx", "pings_tx", "pongs_ok", "pulls_rx", "pulls_answered",
                                     "values_tx", "pushes_rx", "bad", "echo")}
        self.lock = threading.Lock()
        now = int(time.time() * 1000)
        self.put(self.signed(self.sk, ci_data(self.pub, now, now * 1000, SV,
                                              [(0, "127.0.0.1", port), (10, "127.0.0.1", port + 1)])))
        self.leaders = []
        for i, kp in enumerate(leader_kps):
            sk = Ed25519PrivateKey.from_private_bytes(kp[:32])
            pub = raw_pub(sk)
            check(pub == kp[32:], "leader key pair consistent")
            self.leaders.append(pub)
            gp = 30000 + i * 10  # nobody listens there: sofd's pings go unanswered
            self.put(self.signed(sk, ci_data(pub, now, now * 1000, SV,
                                             [(0, "127.0.0.1", gp), (10, "127.0.0.1", gp + 1)])))
        decoy = Ed25519PrivateKey.generate()
        self.decoy = raw_pub(decoy)
        self.put(self.signed(decoy, ci_data(self.decoy, now, now * 1000, SV + 1, [(0, "127.0.0.1", 39999)])))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", port))
        self.udp.settimeout(0.1)
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", port))
        self.tcp.listen(8)
        self.tcp.settimeout(0.1)
        self.stop = False
        self.threads = [threading.Thread(target=self.serve_udp), threading.Thread(target=self.serve_tcp)]
        for t in self.threads:
            t.start()

    @staticmethod
    def signed(sk, data):
        return sk.sign(data) + data

    def put(self, value):
        r = Rd(value)
        sig = r.take(64)
        data = value[64:]
        if r.u32() != 11:
            raise ValueError("not a ContactInfo")
        ci = ci_parse(r)
        if r.o != len(value):
            raise ValueError("trailing bytes in a value")
        if not verify(ci["pubkey"], sig, data):
            self.stats["bad"] += 1
            return
        with self.lock:
            old = self.table.get(ci["pubkey"])
            if old is None or (ci["outset"], ci["wallclock"]) > (old[1]["outset"], old[1]["wallclock"]):
                self.table[ci["pubkey"]] = (value, ci)
        return r.o

    def serve_tcp(self):
        # ip-echo: 4 zero bytes, tcp_ports [u16; 4], udp_ports [u16; 4], '\n';
        # answer: 4 zero bytes, IpAddr::V4 (u32 0 + 4 bytes), Some(shred version)
        while not self.stop:
            try:
                c, addr = self.tcp.accept()
            except socket.timeout:
                continue
            with c:
                c.settimeout(2)
                req = b""
                while len(req) < 21:
                    chunk = c.recv(21 - len(req))
                    if not chunk:
                        break
                    req += chunk
                if len(req) == 21 and req[:4] == b"\0\0\0\0" and req[20:] == b"\n":
                    sv = b"\x01" + u16(SV) if self.echo_sv else b"\x00"  # Option<u16>
                    resp = b"\0\0\0\0" + u32(0) + socket.inet_aton(addr[0]) + sv
                    c.sendall(resp + b"\0" * (27 - len(resp)))
                    self.stats["echo"] += 1

    def send(self, pkt, addr):
        check(len(pkt) <= 1232, "entrypoint packet fits 1232 bytes")
        self.udp.sendto(pkt, addr)

    def serve_udp(self):
        while not self.stop:
            try:
                pkt, addr = self.udp.recvfrom(2048)
            except socket.timeout:
                continue
            try:
                self.handle(pkt, addr)
            except (ValueError, IndexError, struct.error):
                self.stats["bad"] += 1

    def handle(self, pkt, addr):
        r = Rd(pkt)
        tag = r.u32()
        if tag == 4:  # ping: from, token, signature over the token
            frm, token, sig = r.take(32), r.take(32), r.take(64)
            self.stats["pings_rx"] += 1
            if not verify(frm, sig, token):
                self.stats["bad"] += 1
                return
            h = hashlib.sha256(b"SOLANA_PING_PONG" + token).digest()
            self.send(u32(5) + self.pub + h + self.sk.sign(h), addr)
            self.stats["pongs_tx"] += 1
        elif tag == 5:  # pong: from, sha256(prefix || our token), signature over it
            frm, h, sig = r.take(32), r.take(32), r.take(64)
            tok = self.tokens.get(addr)
            if tok and verify(frm, sig, h) and h == hashlib.sha256(b"SOLANA_PING_PONG" + tok).digest():
                self.verified.add(addr)
                self.stats["pongs_ok"] += 1
        elif tag == 0:  # pull request: CrdsFilter then the caller's ContactInfo value
            keys = [r.u64() for _ in range(r.u64())]
            words = [r.u64() for _ in range(r.u64())] if r.u8() == 1 else []
            nbits, _set, mask, mask_bits = r.u64(), r.u64(), r.u64(), r.u32()
            value = pkt[r.o:]
            self.stats["pulls_rx"] += 1
            if self.put(value) != len(value):
                self.stats["bad"] += 1
                return
            if addr not in self.verified:
                tok = os.urandom(32)
                self.tokens[addr] = tok
                self.send(u32(4) + self.pub + tok + self.sk.sign(tok), addr)
                self.stats["pings_tx"] += 1
                return
            lsb = (1 << (64 - mask_bits)) - 1 if mask_bits < 64 else 0
            out = []
            with self.lock:
                vals = [v for v, ci in self.table.values()]
            for v in vals:
                h = hashlib.sha256(v).digest()
                hv = struct.unpack("<Q", h[:8])[0]
                if (hv | lsb) != (mask | lsb) or v == value:
                    continue
                if nbits and all(words[(p := fnv1a(k, h) % nbits) // 64] >> (p % 64) & 1 for k in keys):
                    continue  # the requester holds it
                out.append(v)
            self.stats["pulls_answered"] += 1
            while out:  # pull responses of at most 1232 bytes
                batch, size = [], 44
                while out and size + len(out[0]) <= 1232:
                    size += len(out[0])
                    batch.append(out.pop(0))
                self.send(u32(1) + self.pub + u64(len(batch)) + b"".join(batch), addr)
                self.stats["values_tx"] += len(batch)
        elif tag == 2:  # push: from, Vec<CrdsValue>
            r.take(32)
            self.stats["pushes_rx"] += 1
            off = r.o + 8
            for _ in range(r.u64()):
                rr = Rd(pkt[off:])
                rr.take(64)
                if rr.u32() != 11:
                    raise ValueError("push of another kind")
                ci_parse(rr)
                self.put(pkt[off:off + rr.o])
                off += rr.o
        else:
            self.stats["bad"] += 1

    def close(self):
        self.stop = True
        for t in self.threads:
            t.join()
        self.udp.close()
        self.tcp.close()


# ---- the test ------------------------------------------------------------------------------------

with tempfile.TemporaryDirectory() as tmp:
    keyf = os.path.join(tmp, "leaders.key")
    pcap, _, recs = sof_check.generate(gen, tmp, "gossip", "-n", str(SLOTS), "--start-slot", str(START),
                                       "--leaders", str(LEADERS), "--leader-rotation", "4", "--txns-per-slot",
                                       "40", "--shred-version", str(SV), "-s", "23", "--leader-key", keyf)
    raw = open(keyf, "rb").read()
    kps = [raw[64 * i:64 * i + 64] for i in range(LEADERS)]
    truth = sof_check.truth_txs(recs)
    produced = {r["slot"] for r in recs if r["type"] == "slot" and not r.get("skipped")}
    _, frames = sof_check.pcap_frames(pcap)
    payloads = sof_check.udp_payloads(frames, 8001)
    check(len(payloads) > 100, f"a capture to send ({len(payloads)} shreds)")

    ep_port = sof_check.free_port(socket.SOCK_STREAM)
    ep = Entrypoint(ep_port, kps)
    gossip_port, tvu_port = sof_check.free_port(), sof_check.free_port()
    txlog = os.path.join(tmp, "gossip.txlog")
    topolog = os.path.join(tmp, "gossip.slotlog")
    idk = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    idf = os.path.join(tmp, "identity.json")  # solana-keygen's form: a JSON array of 64 numbers
    open(idf, "w").write(json.dumps(list(bytes(range(32)) + raw_pub(idk))))
    p = subprocess.Popen([sofd, *sof_check.eal("gossip", "0"), "--", "--driver", "udp", "--udp-bind", "127.0.0.1",
                          "--udp-listen", str(tvu_port), "--gossip-entrypoint", f"127.0.0.1:{ep_port}",
                          "--gossip-port", str(gossip_port), "--gossip-bind", "127.0.0.1",
                          "--gossip-pull-interval-ms", "200", "--gossip-push-interval-ms", "500",
                          "--gossip-settle-ms", "1500", "--gossip-identity", idf, "--learn-leaders", "--txlog", txlog,
                          "--prometheus", "127.0.0.1:0", "--plugins", "txlog,slotlog",
                          "--plugin-opt", f"slotlog.path={topolog}",
                          "--plugin-opt", "slotlog.events=cluster_topology"],
                         stderr=subprocess.PIPE, text=True)
    err_lines = []
    ready = threading.Event()

    def reader():
        for line in p.stderr:
            err_lines.append(line)
            if " input, " in line and "verification" in line:
                ready.set()
    rt = threading.Thread(target=reader)
    rt.start()
    try:
        check(ready.wait(60), "sofd joined and started its pipeline (%s)" % "".join(err_lines)[-800:])
        # a prune from the entrypoint naming sofd as origin: no more pushes to it
        # (signed over the prefixed form: u64 18, "\xffSOLANA_PRUNE_DATA", then the fields)
        with ep.lock:
            sofd_pk = [pk for pk in ep.table if pk != ep.pub and pk not in ep.leaders and pk != ep.decoy]
        if sofd_pk:
            wc = int(time.time() * 1000)
            fields = ep.pub + u64(1) + sofd_pk[0] + sofd_pk[0] + u64(wc)
            sig = ep.sk.sign(u64(18) + b"\xffSOLANA_PRUNE_DATA" + fields)
            prune = u32(3) + ep.pub + ep.pub + u64(1) + sofd_pk[0] + sig + sofd_pk[0] + u64(wc)
            ep.udp.sendto(prune, ("127.0.0.1", gossip_port))
            time.sleep(0.3)
            pushes_before = ep.stats["pushes_rx"]
            time.sleep(1.5)  # three push intervals
            check(ep.stats["pushes_rx"] == pushes_before,
                  f"no push to the entrypoint after its prune ({ep.stats['pushes_rx']} vs {pushes_before})")
        # hostile datagrams to the gossip port
        junk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rng = random.Random(7)
        for i in range(60):
            junk.sendto(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))), ("127.0.0.1", gossip_port))
        # the turbine sender: sofd's TVU from the entrypoint's CRDS table
        with ep.lock:
            others = [ci for pk, (v, ci) in ep.table.items()
                      if pk != ep.pub and pk not in ep.leaders and pk != ep.decoy]
        check(len(others) == 1, f"sofd's ContactInfo in the entrypoint's table ({len(others)})")
        if others:
            ci = others[0]
            tvu = ci["sockets"].get(10)
            check(ci["sockets"].get(0) == ("127.0.0.1", gossip_port), f"gossip socket advertised ({ci['sockets']})")
            check(tvu == ("127.0.0.1", tvu_port), f"TVU = sofd's shred port ({tvu} vs {tvu_port})")
            check(ci["shredVersion"] == SV, f"sofd advertises the shred version ({ci['shredVersion']})")
            check(ci["pubkey"] == raw_pub(idk), "sofd's identity is the key file's")
            out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for i, pl in enumerate(payloads):
                out.sendto(pl, tvu)
                if i % 64 == 63:
                    time.sleep(0.002)
        time.sleep(2.0)
        # Prometheus: the gossip families, promtool clean when present
        m = re.search(r"Prometheus metrics on (http://\S+)", "".join(err_lines))
        check(m is not None, "Prometheus endpoint announced")
        if m:
            body = urllib.request.urlopen(m.group(1), timeout=10).read().decode()
            check(f"sof_gossip_nodes {LEADERS + 2}\n" in body, "sof_gossip_nodes gauge")
            check(f"sof_gossip_shred_version {SV}\n" in body, "sof_gossip_shred_version gauge")
            mm = re.search(r"^sof_gossip_rx_malformed_total (\d+)$", body, re.M)
            check(mm and int(mm.group(1)) >= 55, "sof_gossip_rx_malformed_total counts the junk")
            check('sof_gossip_rx_malformed_by_reason_total{reason="truncated"}' in body, "by reason")
            promtool = shutil.which("promtool")
            if promtool:
                pr = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, text=True)
                check(pr.returncode == 0 and not pr.stdout.strip() and not pr.stderr.strip(),
                      f"promtool check metrics: {pr.stdout[-300:]} {pr.stderr[-300:]}")
    finally:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        rt.join()
        ep.close()
    err = "".join(err_lines)
    check(p.returncode == 0, f"sofd exit 0 ({err[-600:]})")
    s = sof_check.summary_of(err)
    g = {}
    for line in err_lines:
        if line.startswith("sofd: gossip: {"):
            g = json.loads(line[len("sofd: gossip: "):])
    joined = [l for l in err_lines if "gossip: joined" in l]
    check(joined and f"shred version {SV}, {LEADERS + 1} nodes" in joined[0],
          f"learned shred version {SV} and the {LEADERS + 1} nodes of it, not the decoy ({joined})")
    txs = sof_check.txs_of(sof_check.read_lines(txlog))
    check(txs == truth, f"transactions equal the truth ({len(txs)} vs {len(truth)})")
    ln = s.get("learned", {})
    check(ln.get("slots") == len(produced), f"every slot's leader learned ({ln} vs {len(produced)})")
    check(s.get("rxPackets") == len(payloads), f"every shred received ({s.get('rxPackets')} of {len(payloads)})")
    check(g.get("shred_version") == SV, f"gossip shred version ({g.get('shred_version')})")
    check(g.get("ip_echo_ok", 0) >= 1 and ep.stats["echo"] >= 1, "ip-echo")
    check(g.get("publicIp") == "127.0.0.1", f"public address from ip-echo ({g.get('publicIp')})")
    check(g.get("rx_pings", 0) >= 1 and g.get("tx_pongs", 0) >= 1 and ep.stats["pongs_ok"] >= 1,
          f"the entrypoint's ping answered ({g.get('rx_pings')}, {g.get('tx_pongs')}, {ep.stats})")
    check(g.get("tx_pings", 0) >= 1 and g.get("rx_pongs", 0) >= 1 and g.get("nodes_verified", 0) >= 1,
          f"sofd pinged its peers, the entrypoint answered ({g.get('tx_pings')}, {g.get('rx_pongs')}, "
          f"{g.get('nodes_verified')})")
    check(g.get("nodes_verified", 99) <= 1, "the leaders' silent gossip ports never verified")
    check(g.get("tx_pull_requests", 0) >= 1 and ep.stats["pulls_answered"] >= 1, "pull requests answered")
    check(g.get("tx_pushes", 0) >= 1 and ep.stats["pushes_rx"] >= 1, "pushes of its ContactInfo")
    check(g.get("nodes") == LEADERS + 2, f"nodes held: entrypoint + leaders + decoy ({g.get('nodes')})")
    # cluster_topology events (slotlog): the joins and leaves add up to the
    # nodes held
    topo = [r for r in sof_check.read_lines(topolog) if r.get("type") == "cluster_topology"]
    check(len(topo) >= 1, f"cluster_topology events ({len(topo)})")
    if topo:
        check(topo[-1]["total"] == g.get("nodes") == LEADERS + 2,
              f"the last cluster_topology total is the nodes held ({topo[-1]}, {g.get('nodes')})")
        check(sum(r["added"] for r in topo) - sum(r["removed"] for r in topo) == topo[-1]["total"],
              f"joins - leaves = total ({topo})")
    check(g.get("nodes_other_shred_version") == 1, f"the decoy counted ({g.get('nodes_other_shred_version')})")
    check(g.get("rx_prunes") == 1 and g.get("rx_bad_signature") == 0, f"the prune taken ({g.get('rx_prunes')})")
    check(g.get("values_bad_signature") == 0, "no bad signature from the entrypoint")
    check(g.get("rx_malformed", 0) >= 55, f"hostile datagrams counted ({g.get('rx_malformed')})")
    check(ep.stats["bad"] == 0, f"the entrypoint took every packet of sofd's ({ep.stats})")
    print(f"gossip: {g.get('rx_packets')} packets in, {g.get('tx_packets')} out; entrypoint {ep.stats}",
          file=sys.stderr)

    # ip-echo without a shred version: the entrypoint's own ContactInfo gives it
    ep_port = sof_check.free_port(socket.SOCK_STREAM)
    ep = Entrypoint(ep_port, kps[:3], echo_shred_version=False)
    try:
        p = subprocess.Popen([sofd, *sof_check.eal("gossip", "0"), "--", "--driver", "udp", "--udp-bind", "127.0.0.1",
                              "--udp-listen", str(tvu_port), "--gossip-entrypoint", f"127.0.0.1:{ep_port}",
                              "--gossip-port", str(gossip_port), "--gossip-bind", "127.0.0.1",
                              "--gossip-pull-interval-ms", "200", "--gossip-settle-ms", "1000", "--learn-leaders"],
                             stderr=subprocess.PIPE, text=True)
        lines = []
        for line in p.stderr:
            lines.append(line)
            if " input, " in line and "verification" in line:
                p.send_signal(signal.SIGINT)
        p.wait(timeout=60)
    finally:
        ep.close()
    joined = [l for l in lines if "gossip: joined" in l]
    check(p.returncode == 0 and joined and f"shred version {SV}, 4 nodes" in joined[0],
          f"shred version from the entrypoint's ContactInfo ({joined} {''.join(lines)[-300:]})")

    # an entrypoint nobody answers: exit 2 after join_timeout_ms, naming what is missing
    dead = sof_check.free_port(socket.SOCK_STREAM)
    p = subprocess.run([sofd, *sof_check.eal("gossip", "0"), "--", "--driver", "udp", "--udp-bind", "127.0.0.1",
                        "--udp-listen", str(tvu_port), "--gossip-entrypoint", f"127.0.0.1:{dead}",
                        "--gossip-port", str(gossip_port), "--gossip-bind", "127.0.0.1",
                        "--gossip-join-timeout-ms", "1500", "--learn-leaders"],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 2 and "not joined after 1500 ms (no shred version" in p.stderr,
          f"dead entrypoint: exit 2 with a reason ({p.returncode}: {p.stderr[-300:]})")
    for bad, what in (("nowhere", "is not a resolvable HOST:PORT"), ("127.0.0.1:0", "is not a resolvable")):
        p = subprocess.run([sofd, *sof_check.eal("gossip", "0"), "--", "--driver", "udp", "--gossip-entrypoint", bad,
                            "--learn-leaders"], capture_output=True, text=True, timeout=60)
        check(p.returncode == 2 and what in p.stderr, f"entrypoint {bad!r} refused ({p.stderr[-200:]})")
    p = subprocess.run([sofd, *sof_check.eal("gossip", "0"), "--", "--driver", "udp", "--gossip-entrypoint",
                        "127.0.0.1:8001", "--gossip-identity", os.path.join(tmp, "missing.key"), "--learn-leaders"],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 2 and "[gossip] identity: cannot open" in p.stderr, f"missing identity refused ({p.stderr[-200:]})")
    sof_check.cleanup_runtime()

print(f"sofd_gossip: {sof_check.checks} checks, {sof_check.failures} failed")
sys.exit(1 if sof_check.failures else 0)
