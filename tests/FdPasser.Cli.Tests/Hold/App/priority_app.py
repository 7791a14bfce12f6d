#!/usr/bin/python3
"""A generation for the --start-priority tests of fdpass hold, with the standard library only.

At start it records its own scheduling policy, starts a thread and a child process (/bin/sleep), and writes
'POLICY PID TID CHILDPID' to $PRIORITY_REPORT (atomically); then it says READY=1, unless $PRIORITY_MODE is
'never-ready'. It runs until SIGTERM, which ends its child too.
"""
import os
import signal
import socket
import subprocess
import threading
import time

REPORT = os.environ["PRIORITY_REPORT"]


def notify(text):
    address = os.environ.get("NOTIFY_SOCKET")
    if address:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(text.encode(), "\0" + address[1:] if address.startswith("@") else address)


policy = os.sched_getscheduler(0)
stop = threading.Event()
worker = threading.Thread(target=stop.wait, daemon=True)
worker.start()
child = subprocess.Popen(["/bin/sleep", "300"])


def end(*_):
    child.kill()
    os._exit(0)


signal.signal(signal.SIGTERM, end)
with open(REPORT + ".tmp", "w") as f:
    f.write(f"{policy} {os.getpid()} {worker.native_id} {child.pid}\n")
os.rename(REPORT + ".tmp", REPORT)
if os.environ.get("PRIORITY_MODE") != "never-ready":
    notify("READY=1")
while True:
    time.sleep(1)
