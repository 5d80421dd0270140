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
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from grpc_raw import connect, pb  # noqa: E402  (the one raw HTTP/2 client)


def main():
    port, keys = int(sys.argv[1]), sys.argv[2:]
    s = connect(port, [pb(3, pb(1, b"f") + pb(2, pb(3, k.encode()))) for k in keys], rcvbuf=4 << 20)
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
