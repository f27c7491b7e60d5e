#!/usr/bin/env python3
"""Sequential QMP round trips from Python: N times qom-get /machine type over a unix socket.
Usage: qmp_bench.py SOCKET [N] ; prints 'qom-get/s RATE'."""
import json
import socket
import sys
import time


def main():
    path = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    inp = s.makefile("rb")

    def reply():
        while True:
            msg = json.loads(inp.readline())
            if "event" not in msg:
                return msg

    reply()                                        # greeting
    s.sendall(b'{"execute": "qmp_capabilities"}\n')
    reply()
    req = b'{"execute": "qom-get", "arguments": {"path": "/machine", "property": "type"}}\n'
    for _ in range(min(500, n)):                   # warm-up
        s.sendall(req)
        reply()
    start = time.perf_counter()
    for _ in range(n):
        s.sendall(req)
        r = reply()
        if "return" not in r:
            raise SystemExit("unexpected reply: %r" % (r,))
    elapsed = time.perf_counter() - start
    print("qom-get/s %.0f" % (n / elapsed))


if __name__ == "__main__":
    main()
