#!/usr/bin/env python3
"""bench_grpc_load.py PORT KEYS...: the load subscribers of bench_grpc.sh.

One HTTP/2 connection (written by hand: preface, SETTINGS with the largest
stream window, a connection WINDOW_UPDATE to match, so sofd never waits on
flow control) carrying one geyser.Geyser/Subscribe call per key, each with
the transactions filter {account_include: [KEY]}. It reads and discards
what comes (no decoding: the load is sofd's, not this script's), prints
{"ready": true} once the calls are open and, when its stdin closes, the
bytes it read as {"bytes": N}."""
import json
import socket
import struct
import sys
import threading


def frame(typ, flags, sid, payload):
    return len(payload).to_bytes(3, "big") + bytes([typ, flags]) + sid.to_bytes(4, "big") + payload


def lit(name, value):  # HPACK literal without indexing, new name, no Huffman
    n, v = name.encode(), value.encode()
    return b"\x00" + bytes([len(n)]) + n + bytes([len(v)]) + v


def pb(field, data):
    assert len(data) < 128
    return bytes([field << 3 | 2, len(data)]) + data


def main():
    port, keys = int(sys.argv[1]), sys.argv[2:]
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    out += frame(4, 0, 0, struct.pack(">HI", 4, 0x7FFFFFFF))           # INITIAL_WINDOW_SIZE
    out += frame(8, 0, 0, struct.pack(">I", 0x7FFFFFFF - 65535))         # connection window
    for i, k in enumerate(keys):
        sid = 1 + 2 * i
        hdrs = (lit(":method", "POST") + lit(":scheme", "http") + lit(":authority", f"127.0.0.1:{port}")
                + lit(":path", "/geyser.Geyser/Subscribe") + lit("content-type", "application/grpc")
                + lit("te", "trailers"))
        req = pb(3, pb(1, b"f") + pb(2, pb(3, k.encode())))
        out += frame(1, 4, sid, hdrs) + frame(0, 0, sid, b"\x00" + len(req).to_bytes(4, "big") + req)
    s.sendall(out)
    total = [0]

    def drain():
        while True:
            b = s.recv(1 << 20)
            if not b:
                return
            total[0] += len(b)

    threading.Thread(target=drain, daemon=True).start()
    print(json.dumps({"ready": True}), flush=True)
    sys.stdin.read()
    print(json.dumps({"bytes": total[0]}), flush=True)
    s.close()


if __name__ == "__main__":
    main()
