#!/usr/bin/env python3
"""reload-keepalive: samples/kestrel-hold under fdpass hold, CLIENTS keep-alive clients (GET and POST with a body in
turn, 0-50 ms apart, a request without a complete response is a failure and is not retried), STEADY seconds of
steady state, then RELOADS reloads (each sent once the previous generation is ready). Prints requests, failures,
reconnects, and p50/p99 latency in steady state and during the reloads (first reload to the last drain's end).

    python3 bench/kestrel/reload_keepalive.py [RELOADS] [CLIENTS] [STEADY] [--no-handover] [--no-warm-up] [--aot | --r2r]
        [--sighup] [--beside] [--gap SECONDS] [--start-priority idle]

"During reloads" counts the requests that started while a reload was under way: from the moment it was sent until
the generation it replaced had exited. --aot runs the NativeAOT-published sample instead of the JIT-built one; --r2r the sample published with ReadyToRun code
(still JIT-capable: the code precompiled, so the handover's once-run paths need no JIT).
--sighup sends each reload as SIGHUP to fdpass hold (what systemd's ExecReload=kill -HUP $MAINPID does) instead of
running `fdpass hold --reload`, a .NET process of its own that starts on the same two cores at every reload.
--beside first reloads, as many times, a second fdpass hold with the same server that no client talks to, while
the clients keep talking to the first: the p99 of that phase is what a server's start and end cost the served
traffic on this machine when nothing is handed over, the floor the reload figure stands on. --gap waits SECONDS
after each reload has ended (the replaced generation has exited) before the next; without it the reloads follow
each other as soon as the new generation is ready. --start-priority is passed to both fdpass holds. Every request is logged (start, latency,
generation that answered, whether it was the first on its connection in that generation, milliseconds since the
last reload was sent, its monotonic start, the client's port and the server's pid) to requests.csv in the work
directory, and the slow requests during the reloads are broken down by kind. The generations run with
FDPASSER_HANDOVER_TRACE set: each writes trace.PID (one line per handover event, CLOCK_MONOTONIC, the client's
port), and every slow first request on a handed-over connection is split into the phases it waited in (drain,
offer, PREPARED, COMMITTED, the new generation's start of the connection, its first send).

Loopback only; the load stops by itself after the run (at most 15 minutes).
"""
import os, random, re, subprocess, sys, tempfile, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from httpka import Conn, Closed

argv = sys.argv[1:]
GAP = 0.0
HOLD_FLAGS = []
if "--gap" in argv:
    i = argv.index("--gap"); GAP = float(argv[i + 1]); del argv[i:i + 2]
if "--start-priority" in argv:
    i = argv.index("--start-priority"); HOLD_FLAGS = argv[i:i + 2]; del argv[i:i + 2]
OURS = ("--aot", "--r2r", "--sighup", "--beside")
args = [a for a in argv if not a.startswith("--")]
flags = [a for a in argv if a.startswith("--") and a not in OURS]
AOT = "--aot" in argv
R2R = "--r2r" in argv
SIGHUP = "--sighup" in argv
BESIDE = "--beside" in argv
RELOADS = int(args[0]) if len(args) > 0 else 20
CLIENTS = int(args[1]) if len(args) > 1 else 16
STEADY = float(args[2]) if len(args) > 2 else 5
repo = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
work = tempfile.mkdtemp(prefix="reload-keepalive.")
for project, out in (("cli", "cli"), ("samples/kestrel-hold", "sample")):
    subprocess.run(["dotnet", "build", os.path.join(repo, project), "-c", "Release", "-nologo", "-v", "q", "-o", os.path.join(work, out)],
                   check=True, stdout=subprocess.DEVNULL)
if AOT:
    subprocess.run(["dotnet", "publish", os.path.join(repo, "samples/kestrel-hold"), "-c", "Release", "-p:PublishAot=true", "-nologo",
                    "-v", "q", "-o", os.path.join(work, "aot")], check=True, stdout=subprocess.DEVNULL)
    server = [os.path.join(work, "aot", "kestrel-hold")]
elif R2R:
    import platform
    rid = "linux-arm64" if platform.machine() in ("aarch64", "arm64") else "linux-x64"
    subprocess.run(["dotnet", "publish", os.path.join(repo, "samples/kestrel-hold"), "-c", "Release", "-r", rid, "--self-contained", "false",
                    "-p:PublishReadyToRun=true", "-nologo", "-v", "q", "-o", os.path.join(work, "r2r")], check=True, stdout=subprocess.DEVNULL)
    server = ["dotnet", os.path.join(work, "r2r", "kestrel-hold.dll")]
else:
    server = ["dotnet", os.path.join(work, "sample", "kestrel-hold.dll")]
import signal, socket, datetime


def free_port():
    probe = socket.socket(); probe.bind(("127.0.0.1", 0)); p = probe.getsockname()[1]; probe.close()
    return p


port = free_port()
log_path = os.path.join(work, "hold.log")
control = os.path.join(work, "control.sock")
# --settle-time 0: the old generation drains at the new one's READY=1, so every reload in the window is a handover
# (with hold's default settle time the old generations of back-to-back reloads queue up and serve on together).
trace_path = os.path.join(work, "trace")
env = dict(os.environ, FDPASSER_HANDOVER_TRACE=trace_path)  # one trace file per generation: trace.PID


def start_hold(listen_port, log, control_path, environment):
    return subprocess.Popen([os.path.join(work, "cli", "fdpass"), "hold", "--listen", f"web=tcp:127.0.0.1:{listen_port}", "--control",
                             control_path, "--settle-time", "0"] + HOLD_FLAGS + ["--"] + server + flags,
                            stdout=open(log, "w"), stderr=subprocess.STDOUT, env=environment)


hold = start_hold(port, log_path, control, env)
holds = [hold]
# The bystander: the same server under a second fdpass hold, no client, no trace; only its reloads matter.
beside_log = os.path.join(work, "beside.log")
beside_control = os.path.join(work, "beside.sock")
beside = start_hold(free_port(), beside_log, beside_control, dict(os.environ)) if BESIDE else None
if beside:
    holds.append(beside)
results = []  # (start time, latency s, ok, generation or 0, first on its connection in that generation, client port, server pid)
reload_times = []  # when each reload was sent
reconnects = [0]
stop = threading.Event()
lock = threading.Lock()


def wait_log(pattern, timeout=120, log=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if re.search(pattern, open(log or log_path).read()):
            return
        time.sleep(0.005)
    raise SystemExit(f"no '{pattern}' in fdpass hold's log within {timeout} s")


def client(index):
    rnd = random.Random(index)
    conn, n = None, 0
    while not stop.is_set():
        n += 1
        start = time.monotonic()
        ok, gen, first, cport, pid = False, 0, False, 0, 0
        try:
            if conn is None:
                if n > 1:
                    with lock:
                        reconnects[0] += 1
                conn = Conn(port)
            cport = conn.sock.getsockname()[1]
            body = None if n % 2 else (b"x" * (n % 200 + 1))
            status, close, text, _ = conn.request(body)
            ok = status == 200
            words = text.split()
            gen, first, pid = int(words[1]), words[5] == "1", int(words[3])
            if close:
                conn.close(); conn = None
        except (Closed, OSError, ValueError):
            if conn:
                conn.close()
            conn = None
        with lock:
            results.append((start, time.monotonic() - start, ok, gen, first, cport, pid))
        time.sleep(rnd.randint(0, 50) / 1000)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000 if values else float("nan")


PHASES = ("in the old generation, before its drain began", "drain began, until the offer (parking)",
          "offer, until PREPARED (HELLO, items, new generation adopts)", "PREPARED, until COMMITTED",
          "committed, until the new generation starts the connection", "started, until the new generation's first send",
          "first send, until the client has the response", "not traced")


def breakdown(results, t_from, t_to, p99, trace_path):
    """Where the slow first requests on handed-over connections waited, from the generations' trace files."""
    import glob
    events = []  # (s, name, port, pid, detail)
    for path in glob.glob(trace_path + ".*"):
        pid = int(path.rsplit(".", 1)[1])
        for line in open(path):
            name, port, ns, detail = line.split()[:4]
            events.append((int(ns) / 1e9, name, int(port), pid, int(detail)))
    events.sort()
    by = {}
    for (t, name, port, pid, d) in events:
        by.setdefault((name, port, pid), []).append(t)

    def last(name, port, pid, before):
        times = [t for t in by.get((name, port, pid), []) if t <= before]
        return times[-1] if times else None
    parks = {}
    for (t, name, port, pid, d) in events:
        if name == "park":
            parks.setdefault(port, []).append((t, pid))
    totals = dict.fromkeys(PHASES, 0.0)
    slow, traced = 0, 0
    for (s, l, ok, g, f, port, pid) in results:
        if not (t_from <= s < t_to and ok and f and g > 1 and l >= p99):
            continue
        slow += 1
        end = s + l
        park = [(t, q) for (t, q) in parks.get(port, []) if q != pid and t <= end]
        if not park:
            totals["not traced"] += l
            continue
        old = park[-1][1]
        marks = [last("drain", 0, old, end), last("offer", 0, old, end), last("prepared", 0, old, end), last("committed", 0, old, end),
                 last("start", port, pid, end), last("sent", port, pid, end), end]
        if None in marks:
            totals["not traced"] += l
            continue
        traced += 1
        lo = s
        for phase, hi in zip(PHASES, [marks[0]] + marks[1:]):
            totals[phase] += max(0.0, min(hi, end) - max(lo, s))
            lo = max(lo, hi)
    print(f"  slow first requests on handed-over connections: {slow} (traced {traced}); their wait, mean per request:")
    for phase in PHASES:
        if slow:
            print(f"    {phase:62} {totals[phase] / slow * 1000:8.2f} ms")
    # The old generation's slow requests: while the new process started (reload sent, before its READY) or later.
    readies = sorted(t for (t, name, port, pid, d) in events if name == "ready")
    starting = later = 0
    for (s, l, ok, g, f, port, pid) in results:
        if t_from <= s < t_to and ok and l >= p99 and not (f and g > 1):
            sent_reload = max((r for r in reload_times if r <= s), default=None)
            ready_after = min((r for r in readies if sent_reload is not None and r >= sent_reload), default=None)
            if sent_reload is not None and (ready_after is None or s < ready_after):
                starting += 1
            else:
                later += 1
    print(f"  other slow requests: {starting} while a new generation was starting (reload sent, before its READY=1), {later} after")


def exits(log):
    """Generation number -> when it exited, on the monotonic clock (hold's log has local wall-clock times)."""
    offset = time.time() - time.monotonic()
    found = {}
    for m in re.finditer(r"^(\S+) generation (\d+) \(pid \d+[^)]*\) drained and exited", open(log).read(), re.M):
        found[int(m.group(2))] = datetime.datetime.fromisoformat(m.group(1)).timestamp() - offset
    return found


def reload_run(process, log, control_path, sent):
    """RELOADS reloads of one fdpass hold; returns each reload's window (sent, the replaced generation's exit)."""
    starts = []
    for n in range(2, RELOADS + 2):
        starts.append(time.monotonic())
        sent.append(starts[-1])
        if SIGHUP:
            os.kill(process.pid, signal.SIGHUP)
        else:
            subprocess.run([os.path.join(work, "cli", "fdpass"), "hold", "--reload", "--control", control_path], check=True,
                           stdout=subprocess.DEVNULL)
        wait_log(rf"generation {n} \(pid \d+[^)]*\) is ready", log=log)
        if GAP:
            wait_log(rf"generation {n - 1} \(pid \d+[^)]*\) drained and exited", timeout=60, log=log)
            time.sleep(GAP)
    wait_log(rf"generation {RELOADS} \(pid \d+[^)]*\) drained and exited", timeout=60, log=log)
    ended = exits(log)
    return [(s, ended.get(n - 1, s)) for n, s in zip(range(2, RELOADS + 2), starts)]


def covered(windows):
    """Seconds inside at least one window (back-to-back reloads overlap: the next starts before the last has ended)."""
    total, end = 0.0, float("-inf")
    for a, b in sorted(windows):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


def within(s, windows):
    return any(a <= s < b for (a, b) in windows)


try:
    wait_log(r"generation 1 \(pid \d+\) is ready")
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    guard = threading.Timer(900, stop.set); guard.daemon = True; guard.start()
    time.sleep(1)  # warm-up, not counted
    steady_from = time.monotonic()
    time.sleep(STEADY)
    reloads_from = steady_to = time.monotonic()
    beside_windows = []
    if beside:
        wait_log(r"generation 1 \(pid \d+\) is ready", log=beside_log)
        beside_windows = reload_run(beside, beside_log, beside_control, [])
        time.sleep(1)
        reloads_from = time.monotonic()
    windows = reload_run(hold, log_path, control, reload_times)
    reloads_to = time.monotonic()
    stop.set()
    for t in threads:
        t.join(30)
    steady = [l for (s, l, ok, g, f, *_rest) in results if steady_from <= s < steady_to and ok]
    during = [l for (s, l, ok, g, f, *_rest) in results if within(s, windows) and ok]
    beside_during = [l for (s, l, ok, g, f, *_rest) in results if within(s, beside_windows) and ok]
    failed = sum(1 for r in results if not r[2])
    described = " ".join(flags + HOLD_FLAGS + (["--sighup"] if SIGHUP else []) + ([f"--gap {GAP:g}"] if GAP else []))
    print(f"{RELOADS} reloads, {CLIENTS} keep-alive clients, {'NativeAOT' if AOT else 'ReadyToRun' if R2R else 'JIT'}{(' ' + described) if described else ''}: {len(results)} requests, "
          f"{failed} failed, {reconnects[0]} reconnects")
    print(f"steady:         {len(steady)} requests, p50 {pct(steady, .5):.2f} ms, p99 {pct(steady, .99):.2f} ms")
    if beside:
        print(f"beside reloads: {len(beside_during)} requests, p50 {pct(beside_during, .5):.2f} ms, p99 {pct(beside_during, .99):.2f} ms "
              f"(another fdpass hold with the same server reloaded {RELOADS} times, {covered(beside_windows):.1f} s in reloads)")
    print(f"during reloads: {len(during)} requests, p50 {pct(during, .5):.2f} ms, p99 {pct(during, .99):.2f} ms "
          f"({covered(windows):.1f} s in reloads of {reloads_to - reloads_from:.1f} s; load {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs)")
    ratio = pct(during, .99) / pct(steady, .99)
    print(f"p99 during reloads / steady: {ratio:.2f}x (target 2x)" + (f"; beside reloads / steady: {pct(beside_during, .99) / pct(steady, .99):.2f}x" if beside else ""))

    def since_reload(s):
        past = [r for r in reload_times if r <= s]
        return (s - past[-1]) * 1000 if past else float("nan")
    with open(os.path.join(work, "requests.csv"), "w") as csv:
        csv.write("start_s,latency_ms,ok,generation,first_in_generation,ms_since_reload,monotonic_s,client_port,server_pid\n")
        for (s, l, ok, g, f, cport, pid) in results:
            csv.write(f"{s - steady_from:.4f},{l * 1000:.3f},{int(ok)},{g},{int(f)},{since_reload(s):.1f},{s:.6f},{cport},{pid}\n")
    # A connection's first request in a generation other than the first: it was handed over (or reconnected).
    kinds = {"first on a handed-over connection": [], "later, newest generation started": [], "later, an older generation": []}
    for (s, l, ok, g, f, *_rest) in results:
        if not (within(s, windows) and ok):
            continue
        newest = 1 + sum(1 for r in reload_times if r <= s)  # the generation the last reload sent started
        kind = "first on a handed-over connection" if f and g > 1 else ("later, an older generation" if g < newest else "later, newest generation started")
        kinds[kind].append(l)
    p99 = pct(during, .99) / 1000
    for kind, values in kinds.items():
        slow = sum(1 for v in values if v >= p99)
        print(f"  {kind:36} {len(values):6} requests, p50 {pct(values, .5):7.2f} ms, p99 {pct(values, .99):7.2f} ms, {slow} at or above the p99")
    breakdown(results, reloads_from, reloads_to, p99, trace_path)
    print(f"per-request log: {os.path.join(work, 'requests.csv')}")
finally:
    stop.set()
    for h in holds:
        h.terminate()
    for h in holds:
        try:
            h.wait(60)
        except subprocess.TimeoutExpired:
            h.kill()
