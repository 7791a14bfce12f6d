#!/usr/bin/env python3
"""handover-10k: N idle keep-alive connections (default 10,000) to samples/kestrel-hold under fdpass hold, one
reload, then one request on each: every connection must be answered by generation 2 (0 lost), and the old
generation's log says how long its handover took (from the start of its drain to the successor's commit).

    python3 bench/kestrel/handover_10k.py [N]    # builds fdpass and the sample (Release) first

Raises this process's RLIMIT_NOFILE soft limit to its hard limit (N + 100 needed). Loopback only; bounded.
"""
import os, re, resource, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from httpka import Conn, Closed

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
repo = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard < N + 100:
    sys.exit(f"handover_10k: RLIMIT_NOFILE hard limit {hard} is below {N + 100}")
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
work = tempfile.mkdtemp(prefix="handover-10k.")
for project, out in (("cli", "cli"), ("samples/kestrel-hold", "sample")):
    subprocess.run(["dotnet", "build", os.path.join(repo, project), "-c", "Release", "-nologo", "-v", "q", "-o", os.path.join(work, out)],
                   check=True, stdout=subprocess.DEVNULL)
import socket
probe = socket.socket(); probe.bind(("127.0.0.1", 0)); port = probe.getsockname()[1]; probe.close()
log_path = os.path.join(work, "hold.log")
control = os.path.join(work, "control.sock")
log = open(log_path, "w")
hold = subprocess.Popen([os.path.join(work, "cli", "fdpass"), "hold", "--listen", f"web=tcp:127.0.0.1:{port}",
                         "--control", control, "--", "dotnet", os.path.join(work, "sample", "kestrel-hold.dll")],
                        stdout=log, stderr=subprocess.STDOUT)


def wait_log(pattern, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = open(log_path).read()
        m = re.search(pattern, text)
        if m:
            return m
        time.sleep(0.1)
    raise SystemExit(f"no '{pattern}' in fdpass hold's log within {timeout} s:\n" + open(log_path).read()[-3000:])


try:
    wait_log(r"generation 1 \(pid \d+\) is ready")
    conns = []
    t = time.monotonic()
    for i in range(N):
        c = Conn(port)
        status, close, body, _ = c.request()
        assert status == 200 and body.startswith("gen 1 "), body
        conns.append(c)
    print(f"{N} keep-alive connections open, each answered by generation 1 ({time.monotonic() - t:.1f} s)")
    subprocess.run([os.path.join(work, "cli", "fdpass"), "hold", "--reload", "--control", control], check=True, stdout=subprocess.DEVNULL)
    wait_log(r"generation 1 \(pid \d+[^)]*\) drained and exited", timeout=300)
    handed = wait_log(r"Handed (\d+) of (\d+) parked connections to the successor in (\d+) ms")
    lost, by_gen2 = 0, 0
    for c in conns:
        try:
            status, close, body, _ = c.request()
            if status == 200 and body.startswith("gen 2 "):
                by_gen2 += 1
            else:
                lost += 1
        except (Closed, OSError):
            lost += 1
        c.close()
    print(f"after one reload: {by_gen2} of {N} connections answered by generation 2, {lost} lost; "
          f"generation 1 handed {handed.group(1)} of {handed.group(2)} parked connections in {handed.group(3)} ms "
          f"(load {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs)")
finally:
    hold.terminate()
    try:
        hold.wait(60)
    except subprocess.TimeoutExpired:
        hold.kill()
