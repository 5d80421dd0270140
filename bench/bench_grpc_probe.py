#!/usr/bin/env python3
"""bench_grpc_probe.py PORT: bench_grpc.sh's raw probe (SOF_BENCH_PROBE=raw).

The latency probe without a gRPC library: one HTTP/2 connection written
by hand (as bench_grpc_load.py: the largest windows, so flow control never
waits), one geyser.Geyser/Subscribe with transactions {vote: false}. For
each gRPC message it takes the receipt time (time.time_ns() right after
the recv that completed it) and, when the SubscribeUpdate holds a
transaction (field 4), subtracts its created_at (field 11: sofd sets it to
the wall time of the RX burst): RX burst -> receipt by a client that only
reads the socket and finds one field, i.e. sofd's delivery without the
grpc-js client's HTTP/2 and protobuf decoding in JavaScript. Prints
{"ready": true} once subscribed and, when stdin closes or reads "stop",
{"count", "p50", "p90", "p99", "p999", "max"} in microseconds."""
import json
import math
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from grpc_raw import connect, pb, read_messages  # noqa: E402  (the one raw HTTP/2 client)


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def fields(b):
    """(field, wire type, value or bytes) of one protobuf message."""
    i = 0
    while i < len(b):
        k, i = varint(b, i)
        f, w = k >> 3, k & 7
        if w == 0:
            v, i = varint(b, i)
        elif w == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        elif w == 1:
            v, i = b[i:i + 8], i + 8
        elif w == 5:
            v, i = b[i:i + 4], i + 4
        else:
            return
        yield f, w, v


def latency_us(msg, now_ns):
    has_tx, created = False, None
    for f, w, v in fields(msg):
        if f == 4 and w == 2:
            has_tx = True
        elif f == 11 and w == 2:
            sec = nsec = 0
            for g, _, x in fields(v):
                if g == 1:
                    sec = x
                elif g == 2:
                    nsec = x
            created = sec * 1_000_000_000 + nsec
    if has_tx and created:
        return (now_ns - created) / 1e3
    return None


def main():
    port = int(sys.argv[1])
    s = connect(port, [pb(3, pb(1, b"probe") + pb(2, b"\x08\x00"))])  # transactions {"probe": {vote: false}}
    lat = []

    def on_message(sid, msg, now):
        if sid == 1:
            v = latency_us(msg, now)
            if v is not None:
                lat.append(v)

    def read():
        read_messages(s, on_message)

    threading.Thread(target=read, daemon=True).start()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if line.strip() == "stop":
            break
    v = sorted(lat)

    def q(p):
        return v[min(len(v) - 1, max(0, math.ceil(p * len(v)) - 1))] if v else None
    print(json.dumps({"count": len(v), "p50": q(0.5), "p90": q(0.9), "p99": q(0.99), "p999": q(0.999),
                      "max": v[-1] if v else None}), flush=True)
    s.close()


if __name__ == "__main__":
    main()
