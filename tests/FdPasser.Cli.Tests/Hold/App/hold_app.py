#!/usr/bin/python3
"""An HTTP service written against Debian's python3-systemd (libsystemd), as any socket-activated program is.

It takes its listener 'web' from LISTEN_FDS/LISTEN_FDNAMES (daemon.listen_fds_with_names), keeps a generation
counter in a memfd that it stores with the manager (FDSTORE=1, FDNAME=state) and gets back in LISTEN_FDS at its
next start, says READY=1, answers every GET with 'gen N pid P', and on SIGTERM stops accepting, finishes the
requests it has, says STOPPING=1 and exits 0.

    hold_app.py [--release FILE] [--launched]

FILE, read at start, names the release's behaviour: 'ok' (or no file), 'exit' (exits 3 at start, before READY=1),
'never-ready' (starts, never says READY=1, accepts nothing), 'slow-ready SECONDS' (waits, then READY=1),
'ready-exit' (says READY=1, then exits 4 half a second later), 'eventfds' (stores two eventfds as 'ev', then the first
again as 'ev-again'), 'leave-child' (before READY=1, starts `sleep 600` as its child and
prints its pid; the child outlives the app), 'double-fork' (before READY=1, leaves a grandchild in a new session that keeps the listener
and ignores SIGTERM, as a daemon that double-forks does; prints its pid), 'barrier' (after READY=1: STATUS=, libsystemd's sd_notify_barrier, then a BARRIER=1 that also carries a STATUS=;
prints on standard error what each barrier returned).

--launched: the app was started by a launcher that stays its parent (a shell that does not exec, `dotnet run`), so
LISTEN_PID is the launcher's: the app takes the descriptors anyway and names itself with MAINPID= beside READY=1.
"""
import ctypes
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

from systemd import daemon


def release(argv):
    if "--release" in argv[:-1]:
        path = argv[argv.index("--release") + 1]
        if os.path.exists(path):
            with open(path) as f:
                return f.read().split()
    return ["ok"]


def adopt_launchers_descriptors():
    """listen_fds_with_names() takes descriptors only where LISTEN_PID is this process; the launcher's are ours."""
    if os.environ.get("LISTEN_PID") == str(os.getppid()):
        os.environ["LISTEN_PID"] = str(os.getpid())


def take_generation(fds):
    """The stored memfd 'state' from the last generation, or a new one; its counter is incremented and stored."""
    state = next((fd for fd, name in fds.items() if name == "state"), None)
    if state is None:
        state = os.memfd_create("state", os.MFD_CLOEXEC)
        os.pwrite(state, struct.pack("<Q", 0), 0)
    else:
        os.set_inheritable(state, False)
    (previous,) = struct.unpack("<Q", os.pread(state, 8, 0))
    generation = previous + 1
    os.pwrite(state, struct.pack("<Q", generation), 0)
    # Storing the same memfd again every generation: the manager keeps it once.
    daemon.notify("FDSTORE=1\nFDNAME=state", fds=[state])
    return generation


def barriers():
    """libsystemd's own barrier (python3-systemd has no binding), then one with a field systemd ignores it for."""
    daemon.notify("STATUS=before the barrier")
    libsystemd = ctypes.CDLL("libsystemd.so.0")
    libsystemd.sd_notify_barrier.argtypes = [ctypes.c_int, ctypes.c_uint64]
    first = libsystemd.sd_notify_barrier(0, 10_000_000)
    done, sent = os.pipe()
    daemon.notify("BARRIER=1\nSTATUS=sent with a barrier", fds=[sent])
    os.close(sent)
    poller = select.poll()
    poller.register(done, 0)  # POLLHUP is always reported: the manager closed its copy
    second = "closed" if poller.poll(10_000) else "still open after 10 s"
    os.close(done)
    outcome = "succeeded" if first >= 0 else f"failed with {first}"  # -ETIMEDOUT where the descriptor stays open
    print(f"hold_app {os.getpid()}: sd_notify_barrier {outcome}; the barrier with a status was {second}",
          file=sys.stderr, flush=True)


def double_fork():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            print(f"hold_app grandchild {os.getpid()} keeps the listener", file=sys.stderr, flush=True)
            # Off the output pipe, so that a grandchild left running does not keep its reader waiting for its end.
            devnull = os.open("/dev/null", os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            while True:
                time.sleep(1)
        os._exit(0)
    os.wait()


def serve(conn, body):
    try:
        conn.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        payload = body.encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: "
                     + str(len(payload)).encode() + b"\r\n\r\n" + payload)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    behaviour = release(sys.argv)
    if behaviour[0] == "exit":
        print(f"hold_app {os.getpid()}: this release exits at start", file=sys.stderr, flush=True)
        sys.exit(3)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    if behaviour[0] == "never-ready":
        print(f"hold_app {os.getpid()}: this release never says READY=1", file=sys.stderr, flush=True)
        while not stopping.wait(1):
            pass
        sys.exit(0)

    launched = "--launched" in sys.argv
    if launched:
        adopt_launchers_descriptors()
    fds = daemon.listen_fds_with_names()
    if not fds:
        print("hold_app: no LISTEN_FDS (start it under fdpass hold or systemd)", file=sys.stderr, flush=True)
        sys.exit(2)
    web_fd = next(fd for fd, name in fds.items() if name == "web")
    listener = socket.socket(fileno=web_fd)
    generation = take_generation(fds)
    body = f"gen {generation} pid {os.getpid()}\n"
    if behaviour[0] == "slow-ready":
        time.sleep(float(behaviour[1]))
    if behaviour[0] == "double-fork":
        double_fork()
    if behaviour[0] == "leave-child":
        child = subprocess.Popen(["sleep", "600"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        print(f"hold_app {os.getpid()}: left child {child.pid}", file=sys.stderr, flush=True)
    if behaviour[0] == "eventfds":
        first, second = os.eventfd(0, os.EFD_CLOEXEC), os.eventfd(0, os.EFD_CLOEXEC)
        daemon.notify("FDSTORE=1\nFDNAME=ev", fds=[first, second])
        daemon.notify("FDSTORE=1\nFDNAME=ev-again", fds=[first])
    main_pid = f"\nMAINPID={os.getpid()}" if launched else ""
    daemon.notify(f"READY=1\nSTATUS=generation {generation} serving{main_pid}")
    if behaviour[0] == "barrier":
        barriers()
    if behaviour[0] == "ready-exit":
        print(f"hold_app {os.getpid()}: this release exits right after READY=1", file=sys.stderr, flush=True)
        time.sleep(0.5)  # as a release that crashes as it begins to serve: after its READY=1 has been read
        sys.exit(4)

    # A short accept timeout, so that SIGTERM is noticed; every generation shares the listener's queue, so a
    # connection this one does not take is taken by the next.
    listener.settimeout(0.2)
    workers = []
    while not stopping.is_set():
        try:
            conn, _ = listener.accept()
        except (socket.timeout, BlockingIOError, InterruptedError):
            continue
        worker = threading.Thread(target=serve, args=(conn, body))
        worker.start()
        workers.append(worker)
        workers = [w for w in workers if w.is_alive()]
    daemon.notify("STOPPING=1")
    listener.detach()  # the listener belongs to the manager and the next generation; this process just leaves it
    os.close(web_fd)
    for worker in workers:
        worker.join()
    sys.exit(0)


if __name__ == "__main__":
    main()
