#!/usr/bin/env python3
"""A bounded HTTP load on a loopback port for bench/hold-reload.sh and bench/hold-soak.sh: CLIENTS threads, each
making a new connection per request (GET /), until the file STOP exists or MAX_SECONDS have passed, each waiting
PAUSE seconds (default 0) between its requests. Writes one line per request to OUT:
'<start, monotonic seconds> <latency ms> <ok 1/0>'.

    load.py PORT CLIENTS STOP OUT MAX_SECONDS [PAUSE]"""
import socket
import sys
import threading
import time

port, clients, stop_file, out, max_seconds = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
pause = float(sys.argv[6]) if len(sys.argv) > 6 else 0.0
REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
results = []
lock = threading.Lock()
deadline = time.monotonic() + max_seconds


def stopped():
    import os
    return time.monotonic() > deadline or os.path.exists(stop_file)


def client():
    mine = []
    while not stopped():
        start = time.monotonic()
        ok = 0
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
                s.sendall(REQUEST)
                data = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                ok = 1 if data.startswith(b"HTTP/1.1 200 OK") and b"\r\n\r\ngen " in data else 0
        except OSError:
            ok = 0
        mine.append((start, (time.monotonic() - start) * 1000, ok))
        if pause:
            time.sleep(pause)
    with lock:
        results.extend(mine)


threads = [threading.Thread(target=client) for _ in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
with open(out, "w") as f:
    for start, ms, ok in results:
        f.write(f"{start:.6f} {ms:.3f} {ok}\n")
