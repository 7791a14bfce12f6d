#!/usr/bin/env python3
"""pass-K in Python: socket.send_fds / socket.recv_fds (Python 3.9+).

recv_fds is a plain recvmsg (no MSG_CMSG_CLOEXEC: the received descriptors are inheritable, unlike the C and
.NET peers), and builds Python lists, bytes and an array per message.

One socketpair(AF_UNIX, SOCK_STREAM); send K copies of the same /dev/null descriptor with a 1-byte payload,
receive them, close the received descriptors; N times after a warm-up. Prints the line the .NET quick mode
prints (alloc_bytes_per_msg is not measured here: na); --cpu adds the process's CPU time per message.

    python3 pass.py --fds 1 --iterations 100000 [--cpu]
"""
import argparse
import os
import socket
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fds", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=100000)
    parser.add_argument("--warmup", type=int, default=-1)
    parser.add_argument("--cpu", action="store_true")
    args = parser.parse_args()
    k, n = args.fds, args.iterations
    if not 0 <= k <= 253 or n < 1:
        print("--fds must be 0..253 and --iterations >= 1", file=sys.stderr)
        return 2
    warmup = n // 10 if args.warmup < 0 else args.warmup

    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    devnull = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
    fds = [devnull] * k
    payload = b"*"
    send_fds, recv_fds, close = socket.send_fds, socket.recv_fds, os.close

    def run(count: int) -> None:
        for _ in range(count):
            send_fds(a, [payload], fds)
            data, received, flags, _addr = recv_fds(b, 1, k)
            if len(data) != 1 or len(received) != k or flags & socket.MSG_CTRUNC:
                raise SystemExit(f"expected 1 byte and {k} descriptors, got {len(data)} and {len(received)}")
            for fd in received:
                close(fd)

    run(warmup)
    c0 = time.process_time_ns()
    t0 = time.perf_counter_ns()
    run(n)
    ns = (time.perf_counter_ns() - t0) / n
    cpu = (time.process_time_ns() - c0) / n
    line = f"ns_per_msg={ns:.1f} ns_per_fd={(ns / k if k else 0.0):.1f} alloc_bytes_per_msg=na"
    if args.cpu:
        line += f" cpu_ns_per_msg={cpu:.1f} cpu_ns_per_fd={(cpu / k if k else 0.0):.1f}"
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
