"""What the Python tests share: a counter of checks and sof-gen captures
with their ground truth.

A test script imports it from its own directory (sys.path[0]):
    import sof_check
    from sof_check import check
and ends with its own line from sof_check.checks and sof_check.failures.
"""
import json
import os
import re
import struct
import subprocess
import sys
import time

checks = 0
failures = 0


def check(cond, what):
    """Counts one check; a failed one prints "FAIL: what" on stderr.
    Returns cond."""
    global checks, failures
    checks += 1
    if not cond:
        failures += 1
        print("FAIL:", what, file=sys.stderr)
    return cond


def generate(gen, tmp, name, *opts, summary=True):
    """Runs sof-gen (path gen) into tmp/name.pcap with its ground truth
    (name.jsonl), leader schedule (name.json) and, with summary, its summary
    file (name.summary); the exit status is a check. Returns (pcap path,
    schedule path, truth records)."""
    pcap, truth, sched = (os.path.join(tmp, name + ext) for ext in (".pcap", ".jsonl", ".json"))
    extra = ["--summary", os.path.join(tmp, name + ".summary")] if summary else []
    p = subprocess.run([gen, "-o", pcap, "--truth", truth, "--leader-schedule", sched, *extra, *opts],
                       capture_output=True, text=True)
    check(p.returncode == 0, f"sof-gen {name}: {p.stderr.strip()}")
    return pcap, sched, [json.loads(l) for l in open(truth)]


# ---- sofd runs ------------------------------------------------------------------

prefixes = []  # every --file-prefix eal() handed out, in order


def eal(tag, lcores="0", pcap=None, vdevs=(), telemetry=False):
    """EAL arguments for a sofd run on vdevs: no hugepages, no PCI, no
    shared config, a file prefix unique to this process and run (appended
    to prefixes); pcap: a net_pcap vdev reading it; vdevs: more --vdev
    values."""
    prefix = f"sof-{tag}-{os.getpid()}-{len(prefixes)}"
    prefixes.append(prefix)
    args = ["--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--log-level=error",
            f"--file-prefix={prefix}", "-l", lcores]
    if not telemetry:
        args.append("--no-telemetry")
    if pcap:
        args += ["--vdev", f"net_pcap0,rx_pcap={pcap}"]
    for v in vdevs:
        args += ["--vdev", v]
    return args


def runtime_dir(prefix):
    """Where the EAL keeps a file prefix's runtime files (telemetry socket)."""
    base = "/var/run/dpdk" if os.geteuid() == 0 else os.path.join(
        os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk")
    return os.path.join(base, prefix)


def cleanup_runtime():
    """Removes the runtime directories of every prefix handed out."""
    import shutil
    for pf in prefixes:
        shutil.rmtree(runtime_dir(pf), ignore_errors=True)


def summary_of(stderr):
    """sofd's JSON summary line from its stderr ({} when absent)."""
    for l in stderr.splitlines():
        if l.startswith('{"type":"summary"'):
            return json.loads(l)
    return {}


def wait_line(stream, pattern, timeout=30):
    """Reads lines from a text stream (a process's stderr pipe) until one
    matches the regex pattern or the stream ends or timeout seconds pass.
    Returns (match or None, the lines read)."""
    lines = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = stream.readline()
        if not line:
            break
        lines.append(line)
        m = re.search(pattern, line)
        if m:
            return m, lines
    return None, lines


def read_stderr(p, ready=r" input, .*verification"):
    """Starts a thread that collects a process's stderr lines (text pipe).
    Returns (lines, event, thread): the list it appends to, an Event set
    at the first line matching the regex ready (by default sofd's line
    naming its input, printed once it runs), and the thread (join it after
    the process ended)."""
    import threading
    lines, ev = [], threading.Event()

    def run():
        for line in p.stderr:
            lines.append(line)
            if not ev.is_set() and re.search(ready, line):
                ev.set()
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return lines, ev, t


def interrupt(p, timeout=60):
    """SIGINT to a process and wait for its exit; killed after timeout
    seconds. Returns True when it exited on the signal in time."""
    import signal
    p.send_signal(signal.SIGINT)
    try:
        p.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return False


def read_lines(path):
    """JSON lines of a file ([] when it does not exist)."""
    return [json.loads(l) for l in open(path)] if os.path.exists(path) else []


def txs_of(lines):
    """(slot, signature, kind) of the transaction lines, sorted."""
    return sorted((l["slot"], l["signature"], l["kind"]) for l in lines if l.get("type") == "transaction")


def truth_txs(recs, slots=None):
    """(slot, signature, kind) of the truth's transactions (of slots), sorted."""
    return sorted((r["slot"], r["signature"], r["kind"]) for r in recs
                  if r["type"] == "transaction" and (slots is None or r["slot"] in slots))


def balanced(name, s, frames):
    """Every frame received and in exactly one counter of sofd's summary s."""
    check(s.get("rxPackets") == frames, f"{name}: every frame received ({s.get('rxPackets')} vs {frames})")
    drops = s.get("drops", {})
    total = s.get("accepted", 0) + sum(v for v in drops.values() if isinstance(v, int)) \
        + sum(drops.get("malformed", {}).values()) + sum(drops.get("rejected", {}).values())
    check(total == s.get("rxPackets"), f"{name}: counters add up to packets received ({total})")
    check(s.get("balanced") is True, f"{name}: sofd's own balance check")


# ---- pcap files -----------------------------------------------------------------


def pcap_frames(path):
    """A classic pcap file: (its 24-byte header, [(16-byte record header,
    frame bytes)])."""
    with open(path, "rb") as f:
        hdr = f.read(24)
        out = []
        while True:
            h = f.read(16)
            if len(h) < 16:
                return hdr, out
            n = struct.unpack("<IIII", h)[2]
            out.append((h, f.read(n)))


def write_pcap(path, hdr, frames):
    """Writes frames ([(record header, bytes)], lengths rewritten)."""
    with open(path, "wb") as f:
        f.write(hdr)
        for h, d in frames:
            f.write(h[:8] + struct.pack("<II", len(d), len(d)) + d)


def udp_payload_off(d):
    """Offset of the UDP payload of an Ethernet/IPv4/UDP frame, or None."""
    if len(d) < 42 or d[12:14] != b"\x08\x00" or d[23] != 17:
        return None
    return 14 + (d[14] & 15) * 4 + 8


def udp_payloads(frames, port):
    """The UDP payloads of frames to destination port."""
    out = []
    for _, d in frames:
        off = udp_payload_off(d)
        if off is not None and struct.unpack(">H", d[off - 6:off - 4])[0] == port:
            out.append(d[off:])
    return out


def with_payload(frame, payload):
    """frame (Ethernet/IPv4/UDP) carrying payload instead: IPv4 and UDP
    lengths and the IPv4 checksum rewritten, the UDP checksum zeroed (none)."""
    off = udp_payload_off(frame)
    ip = 14
    ihl = (frame[ip] & 15) * 4
    b = bytearray(frame[:off]) + payload
    struct.pack_into(">H", b, ip + 2, len(b) - ip)
    struct.pack_into(">H", b, ip + 10, 0)
    s = sum(struct.unpack(">%dH" % (ihl // 2), bytes(b[ip:ip + ihl])))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    struct.pack_into(">H", b, ip + 10, ~s & 0xFFFF)
    struct.pack_into(">HH", b, off - 4, len(b) - off + 8, 0)
    return bytes(b)


# ---- small shared helpers ---------------------------------------------------------

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58(data):
    """Base58 (Bitcoin alphabet) of bytes: Solana's form of keys."""
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def free_port(kind=None):
    """A port free on 127.0.0.1 now (UDP unless kind says otherwise)."""
    import socket
    s = socket.socket(socket.AF_INET, kind or socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
