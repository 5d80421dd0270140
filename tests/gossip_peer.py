"""A Solana gossip peer for the tests, written from the published spec.

Independent of sofd: nothing here comes from lib/gossip (sofd's C decoder,
encoder, CRDS table and bloom filter) or from any other sofd source, so a
test that has sofd join this peer checks sofd's wire format against a
second reading of the spec, not against itself. The source is the gossip
protocol specification (eigerco/solana-spec, gossip-protocol-spec.md)
with the layouts of Agave's gossip crate it describes:

- "Message format" / "Data serialization": bincode integers little-endian,
  u32 enum tags, u64 Vec lengths, Option as one byte;
  "Push message", "Pull request" (CrdsFilter, Bloom), "Pull response",
  "Prune message" (signed over the "\\xffSOLANA_PRUNE_DATA"-prefixed
  PruneData without its signature), "Ping message", "Pong message" (the
  hash of "SOLANA_PING_PONG" followed by the ping's token);
- "Data shared between nodes": CrdsValue (a signature by the origin over
  the CrdsData bytes), CrdsData::ContactInfo (11: varint wallclock, outset,
  shred version, version, short_vec of addresses, of sockets with
  cumulative port offsets, of extensions) and CrdsData::Vote (1: index,
  from, a legacy transaction, wallclock), with the vote program's
  instructions the vote transactions carry;
- "Addendum / IP Echo Server": the TCP request (4 zero bytes, four TCP and
  four UDP ports, '\\n') and answer (4 zero bytes, IpAddr, Option<u16>
  shred version);
- the pull-request filtering Agave does: a value is in a request's slice
  of the hash space when the first 8 bytes of its SHA-256 match the mask
  on mask_bits bits, and the requester holds it when every keyed FNV-1a
  position of that hash is set in the bloom bits.

What it provides:
- wire builders and readers (u8..u64, varint, shortvec, Rd, ci_data,
  ci_parse, the message builders ping / pong / push / pull_response /
  prune, vote_txn / tower_sync / vote_value / tower_slot);
- Entrypoint: a gossip entrypoint on a UDP and a TCP socket of one host
  address (127.0.0.1 by default; any local address, e.g. a network
  namespace's): ip-echo, ping / pong, pull requests answered from its CRDS
  table through the requester's bloom filter once the requester answered
  a ping, pushes taken in, stats of all of it. Its table holds its own
  ContactInfo, one ContactInfo per given leader key pair (signed with the
  leader's key; gossip port leader_gossip_port(i), where nobody answers)
  and a decoy node of another shred version; votes (CrdsData::Vote values)
  it serves in pull responses;
- Turbine: the turbine sender, which finds a node's TVU socket in the
  entrypoint's table (Entrypoint.joined()) and sends shreds there, paced.

Needs python3-cryptography (ed25519): importing this module raises
ImportError without it (the tests exit 77 then).
"""
import hashlib
import os
import socket
import struct
import threading
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.exceptions import InvalidSignature

from sof_check import check

SV = 4321                # the peer's shred version unless told otherwise
HOST = "127.0.0.1"       # the address it binds and advertises unless told otherwise
PACKET_MAX = 1232        # a gossip packet's payload limit
PING_PONG = b"SOLANA_PING_PONG"
PRUNE_PREFIX = b"\xffSOLANA_PRUNE_DATA"
SOCK_GOSSIP, SOCK_TVU = 0, 10  # ContactInfo socket keys


# ---- the wire format ---------------------------------------------------------------------------

def u8(v): return struct.pack("<B", v)
def u16(v): return struct.pack("<H", v)
def u32(v): return struct.pack("<I", v)
def u64(v): return struct.pack("<Q", v)


def varint(v):
    """LEB128, minimal."""
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
    """A reader over bytes b; ValueError at the end."""

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
    addr index, varint port offset, ports ascending), short_vec extensions.
    sockets: [(key, IPv4 address, port)]."""
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
    """A ContactInfo body (after the tag) from reader r: dict with pubkey,
    wallclock, outset, shredVersion, sockets {key: (ip, port)}."""
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
    """ed25519: sig over msg by pub."""
    try:
        Ed25519PublicKey.from_public_bytes(pub).verify(sig, msg)
        return True
    except InvalidSignature:
        return False


def raw_pub(sk):
    """The 32 bytes of an Ed25519PrivateKey's public key."""
    return sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def signed(sk, data):
    """A CrdsValue: sk's signature over data, then data."""
    return sk.sign(data) + data


def fnv1a(key, data):
    """The bloom filter's keyed FNV-1a (64 bits) of data."""
    h = key
    for c in data:
        h = ((h ^ c) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


# ---- messages -----------------------------------------------------------------------------------

def ping(sk, token):
    """Protocol::PingMessage: from, token, signature over the token."""
    return u32(4) + raw_pub(sk) + token + sk.sign(token)


def pong_hash(token):
    return hashlib.sha256(PING_PONG + token).digest()


def pong(sk, token):
    """Protocol::PongMessage answering a ping's token: from, the hash,
    signature over the hash."""
    h = pong_hash(token)
    return u32(5) + raw_pub(sk) + h + sk.sign(h)


def push(pub, values):
    """Protocol::PushMessage: sender, Vec<CrdsValue>."""
    return u32(2) + pub + u64(len(values)) + b"".join(values)


def pull_response(pub, values):
    """Protocol::PullResponse: sender, Vec<CrdsValue>."""
    return u32(1) + pub + u64(len(values)) + b"".join(values)


def prune(sk, prunes, destination, wallclock):
    """Protocol::PruneMessage from sk's node: pubkey, PruneData { pubkey,
    prunes, signature, destination, wallclock }, signed over the prefixed
    form (Vec<u8> of the prefix, then the fields without the signature)."""
    pub = raw_pub(sk)
    fields = pub + u64(len(prunes)) + b"".join(prunes) + destination + u64(wallclock)
    sig = sk.sign(u64(len(PRUNE_PREFIX)) + PRUNE_PREFIX + fields)
    return u32(3) + pub + pub + u64(len(prunes)) + b"".join(prunes) + sig + destination + u64(wallclock)


# ---- votes (CrdsData::Vote, the vote program's instructions) ------------------------------------

VOTE_PROGRAM = bytes([7, 97, 72, 29, 53, 116, 116, 187, 124, 77, 118, 36, 235, 211, 189, 179, 216, 53, 94, 115,
                      209, 16, 67, 252, 13, 163, 83, 128, 0, 0, 0, 0])  # Vote111111111111111111111111111111111111111


def vote_txn(auth_sk, vote_acct, data):
    """A legacy transaction: header (1, 0, 1), keys [authority, vote account,
    vote program], one instruction to the vote program with accounts
    [vote account, authority] and data, signed by the authority."""
    auth = raw_pub(auth_sk)
    msg = bytes([1, 0, 1]) + shortvec(3) + auth + vote_acct + VOTE_PROGRAM + os.urandom(32)
    msg += shortvec(1) + bytes([2]) + shortvec(2) + bytes([1, 0]) + shortvec(len(data)) + data
    return shortvec(1) + auth_sk.sign(msg) + msg


def tower_sync(root, offsets, tag=14):
    """TowerSync (14) / CompactUpdateVoteState (12): root (u64::MAX: none),
    short_vec of (varint offset, u8 confirmation count), hash, Some(timestamp),
    block id (TowerSync only)."""
    b = u32(tag) + u64(root) + shortvec(len(offsets))
    b += b"".join(varint(o) + u8(len(offsets) - i) for i, o in enumerate(offsets))
    b += os.urandom(32) + b"\x01" + u64(1700000000)
    return b + (os.urandom(32) if tag in (14, 15) else b"")


def vote_value(sk, index, txn, wallclock):
    """A signed CrdsValue holding CrdsData::Vote: tag 1, index, from, the
    transaction, wallclock."""
    data = u32(1) + u8(index) + raw_pub(sk) + txn + u64(wallclock)
    return sk.sign(data) + data


def tower_slot(txn):
    """(vote account, last voted slot) of a transaction's first tower
    instruction (an independent reading of the compact layout, for a real
    vote); (None, None) without one."""
    r = Rd(txn)
    r.take(64 * r.varint())
    r.take(3)
    keys = [r.take(32) for _ in range(r.varint())]
    r.take(32)
    for _ in range(r.varint()):
        prog = keys[r.u8()]
        accts = r.take(r.varint())
        data = Rd(r.take(r.varint()))
        if prog != VOTE_PROGRAM or data.u32() not in (12, 13, 14, 15):
            continue
        root = data.u64()
        slot = 0 if root == 2**64 - 1 else root
        for _ in range(data.varint()):
            slot += data.varint()
            data.u8()
        return keys[accts[0]], slot
    return None, None


# ---- the entrypoint -----------------------------------------------------------------------------

def leader_gossip_port(i):
    """The gossip port leader i's ContactInfo advertises (its TVU is the
    next one); nothing of the peer listens there."""
    return 30000 + i * 10


class Entrypoint:
    """A gossip entrypoint on UDP and TCP port `port` of `host`, serving on
    two threads from construction until close().

    leader_kps: 64-byte key pairs (secret || public) whose ContactInfos
    (shred version sv) the table holds, but those whose index is in late
    (join_leader() adds them later). echo_shred_version: ip-echo answers
    with the shred version (else None). The decoy node advertises
    decoy_sv. Every address advertised is host.

    Attributes for the tests: pub / sk (its identity), leaders (public
    keys), leader_sks, decoy / decoy_sk, table {pubkey: (value, parsed
    ContactInfo)} under lock, votes (Vote values served in pull responses),
    verified (addresses that answered its ping), stats (counts of what it
    received, answered and refused: "bad")."""

    def __init__(self, port, leader_kps, echo_shred_version=True, late=(), sv=SV, host=HOST, decoy_sv=SV + 1):
        self.port = port
        self.host = host
        self.sv = sv
        self.decoy_sv = decoy_sv
        self.echo_sv = echo_shred_version
        self.sk = Ed25519PrivateKey.generate()
        self.pub = raw_pub(self.sk)
        self.table = {}          # pubkey -> (value bytes, parsed ContactInfo)
        self.votes = []          # Vote values (bytes), served in pull responses
        self.tokens = {}         # addr -> the token of our last ping
        self.verified = set()    # addrs that answered
        self.stats = {k: 0 for k in ("pings_rx", "pongs_tx", "pings_tx", "pongs_ok", "pulls_rx", "pulls_answered",
                                     "values_tx", "pushes_rx", "bad", "echo")}
        self.lock = threading.Lock()
        now = int(time.time() * 1000)
        self.put(self.own_value(now))
        self.leaders, self.leader_sks = [], []
        for i, kp in enumerate(leader_kps):
            sk = Ed25519PrivateKey.from_private_bytes(kp[:32])
            pub = raw_pub(sk)
            check(pub == kp[32:], "leader key pair consistent")
            self.leaders.append(pub)
            self.leader_sks.append(sk)
            if i not in late:  # a late leader joins with join_leader()
                self.join_leader(i, now)
        self.decoy_sk = Ed25519PrivateKey.generate()
        self.decoy = raw_pub(self.decoy_sk)
        self.put(self.decoy_value(now))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((host, port))
        self.udp.settimeout(0.1)
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((host, port))
        self.tcp.listen(8)
        self.tcp.settimeout(0.1)
        self.stop = False
        self.closed = False
        self.threads = [threading.Thread(target=self.serve_udp), threading.Thread(target=self.serve_tcp)]
        for t in self.threads:
            t.start()

    # -- the table

    def own_value(self, now):
        """Its own ContactInfo value, signed, wallclock now (ms): gossip at
        port, TVU at port + 1, shred version sv."""
        return signed(self.sk, ci_data(self.pub, now, now * 1000, self.sv,
                                       [(SOCK_GOSSIP, self.host, self.port), (SOCK_TVU, self.host, self.port + 1)]))

    def decoy_value(self, now):
        """The decoy's ContactInfo value (shred version decoy_sv)."""
        return signed(self.decoy_sk, ci_data(self.decoy, now, now * 1000, self.decoy_sv,
                                             [(SOCK_GOSSIP, self.host, 39999)]))

    def resign(self, now=None):
        """Its own and the decoy's ContactInfo re-signed at now (ms), as a
        live node refreshes its values."""
        now = now or int(time.time() * 1000)
        self.put(self.own_value(now))
        self.put(self.decoy_value(now))

    def join_leader(self, i, now=None):
        """Leader i's ContactInfo (signed with its key, wallclock now) into
        the table: sofd's next pulls fetch it."""
        now = now or int(time.time() * 1000)
        gp = leader_gossip_port(i)  # nobody listens there: sofd's pings go unanswered
        self.put(signed(self.leader_sks[i], ci_data(self.leaders[i], now, now * 1000, self.sv,
                                                    [(SOCK_GOSSIP, self.host, gp), (SOCK_TVU, self.host, gp + 1)])))

    def forget(self, pub):
        """pub's ContactInfo out of the table (as a cluster's nodes purge a
        silent node)."""
        with self.lock:
            del self.table[pub]

    def joined(self):
        """The parsed ContactInfos of the nodes that joined through it: all
        but its own, the leaders' and the decoy's."""
        with self.lock:
            return [ci for pk, (v, ci) in self.table.items()
                    if pk != self.pub and pk not in self.leaders and pk != self.decoy]

    def put(self, value):
        """A ContactInfo CrdsValue into the table when its signature holds
        and it is newer (outset, wallclock) than the one held. Returns the
        value's length, None on a bad signature (counted bad); ValueError
        when it is not one ContactInfo."""
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

    # -- the servers

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
                    sv = b"\x01" + u16(self.sv) if self.echo_sv else b"\x00"  # Option<u16>
                    resp = b"\0\0\0\0" + u32(0) + socket.inet_aton(addr[0]) + sv
                    c.sendall(resp + b"\0" * (27 - len(resp)))
                    self.stats["echo"] += 1

    def send(self, pkt, addr):
        check(len(pkt) <= PACKET_MAX, "entrypoint packet fits 1232 bytes")
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
            self.send(pong(self.sk, token), addr)
            self.stats["pongs_tx"] += 1
        elif tag == 5:  # pong: from, sha256(prefix || our token), signature over it
            frm, h, sig = r.take(32), r.take(32), r.take(64)
            tok = self.tokens.get(addr)
            if tok and verify(frm, sig, h) and h == pong_hash(tok):
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
                self.send(ping(self.sk, tok), addr)
                self.stats["pings_tx"] += 1
                return
            lsb = (1 << (64 - mask_bits)) - 1 if mask_bits < 64 else 0
            out = []
            with self.lock:
                vals = [v for v, ci in self.table.values()] + list(self.votes)
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
                while out and size + len(out[0]) <= PACKET_MAX:
                    size += len(out[0])
                    batch.append(out.pop(0))
                self.send(pull_response(self.pub, batch), addr)
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

    def stop_serving(self):
        """Its threads stop (nothing more is answered or counted); the
        sockets stay open (datagrams to them make no ICMP error)."""
        self.stop = True
        for t in self.threads:
            t.join()

    def close(self):
        """Stops serving and closes its sockets; again: nothing."""
        if self.closed:
            return
        self.stop_serving()
        self.udp.close()
        self.tcp.close()
        self.closed = True


# ---- the turbine sender -------------------------------------------------------------------------

class Turbine:
    """Sends shreds (UDP payloads) from one socket (bound to host when
    given) to a node's TVU, e.g. the one a ContactInfo in the entrypoint's
    table advertises (ci["sockets"][SOCK_TVU]); after every `burst`
    datagrams it sleeps `pause` seconds."""

    def __init__(self, burst=64, pause=0.002, host=None):
        self.burst, self.pause = burst, pause
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if host:
            self.sock.bind((host, 0))

    @staticmethod
    def tvu_of(ci):
        """The (address, port) of a parsed ContactInfo's TVU socket (None
        without one)."""
        return ci["sockets"].get(SOCK_TVU)

    def send(self, payloads, dest):
        for i, pl in enumerate(payloads):
            self.sock.sendto(pl, dest)
            if i % self.burst == self.burst - 1:
                time.sleep(self.pause)

    def close(self):
        self.sock.close()
