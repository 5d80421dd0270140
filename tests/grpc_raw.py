"""A raw HTTP/2 gRPC subscriber for the grpc plugin's tests (no gRPC
library: the bytes written by hand, so the test sees sofd's delivery
itself): tests/test_sofd_lat.py, tests/test_sofd_grpc_sched.py."""
import socket
import struct
import threading


def frame(typ, flags, sid, payload):
    return len(payload).to_bytes(3, "big") + bytes([typ, flags]) + sid.to_bytes(4, "big") + payload


def lit(name, value):  # HPACK literal without indexing, new name, no Huffman
    n, v = name.encode(), value.encode()
    return b"\x00" + bytes([len(n)]) + n + bytes([len(v)]) + v


def pb(field, data):
    return bytes([field << 3 | 2, len(data)]) + data


def subscriber(port):
    """One Subscribe call with transactions {"all": {}} (every transaction,
    votes included); returns (socket, counter of gRPC messages read)."""
    s = socket.create_connection(("127.0.0.1", port))
    out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    out += frame(4, 0, 0, struct.pack(">HI", 4, 0x7FFFFFFF))
    out += frame(8, 0, 0, struct.pack(">I", 0x7FFFFFFF - 65535))
    hdrs = (lit(":method", "POST") + lit(":scheme", "http") + lit(":authority", f"127.0.0.1:{port}")
            + lit(":path", "/geyser.Geyser/Subscribe") + lit("content-type", "application/grpc")
            + lit("te", "trailers"))
    req = pb(3, pb(1, b"all") + pb(2, b""))
    out += frame(1, 4, 1, hdrs) + frame(0, 0, 1, b"\x00" + len(req).to_bytes(4, "big") + req)
    s.sendall(out)
    got = {"messages": 0, "closed": False}

    def read():
        buf, data = b"", b""
        while True:
            try:
                b = s.recv(1 << 20)
            except OSError:
                b = b""
            if not b:
                got["closed"] = True
                return
            buf += b
            while len(buf) >= 9:  # HTTP/2 frames; DATA of stream 1 carries gRPC messages
                ln = int.from_bytes(buf[:3], "big")
                if len(buf) < 9 + ln:
                    break
                typ, sid, payload = buf[3], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF, buf[9:9 + ln]
                buf = buf[9 + ln:]
                if typ == 0 and sid == 1:
                    data += payload
                    while len(data) >= 5 and len(data) >= 5 + int.from_bytes(data[1:5], "big"):
                        data = data[5 + int.from_bytes(data[1:5], "big"):]
                        got["messages"] += 1

    threading.Thread(target=read, daemon=True).start()
    return s, got
