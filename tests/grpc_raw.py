"""A raw HTTP/2 gRPC client for the grpc plugin (no gRPC library: the
bytes written by hand, so the reader sees sofd's delivery itself). Used by
tests/test_sofd_lat.py and tests/test_sofd_grpc_sched.py (subscribe_and_send), and
by bench/bench_grpc_probe.py and bench/bench_grpc_load.py (connect,
read_messages).

The connection announces the largest stream window and raises the
connection window to match, so sofd never waits on flow control."""
import socket
import struct
import threading
import time


def frame(typ, flags, sid, payload):
    return len(payload).to_bytes(3, "big") + bytes([typ, flags]) + sid.to_bytes(4, "big") + payload


def lit(name, value):  # HPACK literal without indexing, new name, no Huffman
    n, v = name.encode(), value.encode()
    return b"\x00" + bytes([len(n)]) + n + bytes([len(v)]) + v


def pb(field, data):
    """A length-delimited protobuf field (short values only)."""
    assert len(data) < 128
    return bytes([field << 3 | 2, len(data)]) + data


def connect(port, requests, rcvbuf=None):
    """Opens one connection to 127.0.0.1:port carrying one
    geyser.Geyser/Subscribe call per SubscribeRequest in `requests`
    (streams 1, 3, 5, ...); returns the socket."""
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    out += frame(4, 0, 0, struct.pack(">HI", 4, 0x7FFFFFFF))     # INITIAL_WINDOW_SIZE
    out += frame(8, 0, 0, struct.pack(">I", 0x7FFFFFFF - 65535))   # connection window
    hdrs = (lit(":method", "POST") + lit(":scheme", "http") + lit(":authority", f"127.0.0.1:{port}")
            + lit(":path", "/geyser.Geyser/Subscribe") + lit("content-type", "application/grpc")
            + lit("te", "trailers"))
    for i, req in enumerate(requests):
        sid = 1 + 2 * i
        out += frame(1, 4, sid, hdrs) + frame(0, 0, sid, b"\x00" + len(req).to_bytes(4, "big") + req)
    s.sendall(out)
    return s


def read_messages(s, on_message):
    """Reads until the connection closes, calling on_message(sid, message,
    receipt_ns) for every gRPC message of every stream (receipt_ns: the wall
    time right after the recv that completed it)."""
    buf, data = b"", {}
    while True:
        try:
            b = s.recv(1 << 20)
        except OSError:
            return
        if not b:
            return
        now = time.time_ns()
        buf += b
        while len(buf) >= 9:
            ln = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + ln:
                break
            typ, sid = buf[3], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
            if typ == 0:
                d = data.get(sid, b"") + buf[9:9 + ln]
                while len(d) >= 5 and len(d) >= 5 + int.from_bytes(d[1:5], "big"):
                    n = int.from_bytes(d[1:5], "big")
                    on_message(sid, d[5:5 + n], now)
                    d = d[5 + n:]
                data[sid] = d
            buf = buf[9 + ln:]


def subscriber(port):
    """One Subscribe call with transactions {"all": {}} (every transaction,
    votes included); returns (socket, counter of gRPC messages read)."""
    s = connect(port, [pb(3, pb(1, b"all") + pb(2, b""))])
    got = {"messages": 0, "closed": False}

    def count(sid, _msg, _now):
        if sid == 1:
            got["messages"] += 1

    def read():
        read_messages(s, count)
        got["closed"] = True

    threading.Thread(target=read, daemon=True).start()
    return s, got


def subscribe_and_send(grpc_port, telemetry_port, udp_port, payloads):
    """The delivery run of the latency and placement tests: a subscriber()
    on grpc_port, counted by the server (telemetry_port's /plugins/grpc
    shows it, then one more second: the server's next pass turns the hooks'
    transaction encoding on), the payloads sent to sofd's UDP input on
    udp_port in bursts of 64 (2 ms apart), then read until no message came
    for 3 s (60 s at most). Returns (socket, counter) as subscriber()."""
    import json
    import urllib.request
    s, got = subscriber(grpc_port)
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{telemetry_port}/plugins/grpc", timeout=5) as r:
                if json.loads(r.read()).get("subscribers", 0) >= 1:
                    break
        except Exception:  # noqa: BLE001 (not up yet, or a slow answer: ask again)
            pass
        time.sleep(0.1)
    time.sleep(1.0)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i, pl in enumerate(payloads):
        tx.sendto(pl, ("127.0.0.1", udp_port))
        if i % 64 == 63:
            time.sleep(0.002)
    tx.close()
    last, since, t0 = -1, time.monotonic(), time.monotonic()
    while time.monotonic() - t0 < 60 and time.monotonic() - since < 3:
        if got["messages"] != last:
            last, since = got["messages"], time.monotonic()
        time.sleep(0.1)
    return s, got
