#!/usr/bin/env bash
# Publishes samples/kestrel-hold with NativeAOT (zero warnings) and runs the binary under fdpass hold: it answers
# "gen 1", a reload under a small load of new connections fails no request, and generation 2 answers "gen 2"
# (the counter came back through the stored memory file); then 4 keep-alive clients keep their connections through two
# more reloads (0 failed requests, at most one reconnect per client, connections seen answered by a newer generation).
# Prints one "ok"/"FAIL" line per check and "N passed, N failed"; exits non-zero when any check failed.
# Usage: samples/kestrel-hold/aot-check.sh
set -u

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d /tmp/kestrel-hold-aot.XXXXXX)"
passed=0
failed=0
hold_pid=""

cleanup() {
    if [ -n "$hold_pid" ]; then
        kill -TERM "$hold_pid" 2>/dev/null && sleep 2 && kill -KILL "$hold_pid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok   - $*"; }
fail() { failed=$((failed + 1)); echo "FAIL - $*"; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }

# get PORT: GET / on a new connection; prints the body, fails on anything but 200.
get() {
    python3 - "$1" <<'PY'
import sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/", timeout=20) as r:
    sys.stdout.write(r.read().decode() + "\n")  # one write: the load appends from four processes
PY
}

if ! dotnet publish "$repo/samples/kestrel-hold" -c Release -p:PublishAot=true -tl:off -nologo -o "$work/out" >"$work/publish.log" 2>&1; then
    fail "NativeAOT publish succeeds (log follows)"
    tail -n 30 "$work/publish.log"
    finish
fi
ok "NativeAOT publish succeeds"
warnings="$(grep -E 'warning [A-Z]+[0-9]+' "$work/publish.log" | sort -u)"
if [ -z "$warnings" ]; then ok "NativeAOT publish has zero warnings"; else fail "NativeAOT publish has warnings:"; echo "$warnings"; fi

fdpass="$repo/cli/bin/Release/net10.0/fdpass"
dotnet build "$repo/cli" -c Release -tl:off -nologo -v q >"$work/build.log" 2>&1 || { fail "fdpass builds"; tail -n 30 "$work/build.log"; finish; }
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$fdpass" hold --listen "web=tcp:127.0.0.1:$port" --control "$work/control.sock" -- "$work/out/kestrel-hold" >"$work/hold.log" 2>&1 &
hold_pid=$!

ready() { # ready N: waits up to 30 s for generation N to be ready
    for _ in $(seq 300); do grep -q "generation $1 (pid [0-9]*) is ready" "$work/hold.log" && return 0; sleep 0.1; done
    return 1
}
if ready 1 && [[ "$(get "$port")" == "gen 1 pid "* ]]; then ok "the AOT binary serves gen 1 under fdpass hold"; else fail "the AOT binary serves gen 1"; tail -n 20 "$work/hold.log"; finish; fi

# A small load of new connections across a reload.
: >"$work/answers"
for _ in 1 2 3 4; do
    ( for _ in $(seq 15); do get "$port" >>"$work/answers" 2>&1 || echo FAILED >>"$work/answers"; done ) &
done
sleep 0.5
"$fdpass" hold --reload --control "$work/control.sock" >/dev/null
ready 2 || fail "generation 2 is ready"
wait $(jobs -p | grep -v "^$hold_pid\$")
if ! grep -q FAILED "$work/answers" && [ "$(grep -c '^gen [12] pid [0-9]* conn-requests [0-9]*$' "$work/answers")" -eq 60 ]; then
    ok "60 requests across a reload, none failed"
else
    fail "requests across a reload: $(grep -c FAILED "$work/answers") failed"; grep -v '^gen ' "$work/answers" | head -n 5
fi
if [[ "$(get "$port")" == "gen 2 pid "* ]]; then ok "generation 2 answers gen 2 (the stored counter came back)"; else fail "generation 2 answers gen 2"; fi

# Keep-alive: 4 clients on persistent connections (GET and POST with a body in turn, 0-50 ms apart, never retried)
# through reloads 3 and 4; each connection must survive them (conn-requests keeps counting on the new generation).
python3 - "$port" "$repo/bench/kestrel" "$work/keepalive" <<'PY' &
import os, random, sys, threading, time
sys.path.insert(0, sys.argv[2])
from httpka import Conn, Closed
port, out = int(sys.argv[1]), sys.argv[3]
stop = threading.Event()
threading.Timer(90, stop.set).start()  # bounded even if the reloads never end
counts = {"requests": 0, "failed": 0, "reconnects": 0, "survived": 0}
lock = threading.Lock()

def client(i):
    rnd, conn, n, last = random.Random(i), None, 0, None
    while not stop.is_set() and not os.path.exists(out + ".stop"):
        n += 1
        ok = False
        try:
            if conn is None:
                if n > 1:
                    with lock: counts["reconnects"] += 1
                conn, last = Conn(port), None
            status, close, body, _ = conn.request(None if n % 2 else b"x" * (n % 200 + 1))
            gen, k = int(body.split()[1]), int(body.split()[5])
            ok = status == 200
            with lock:
                if last and gen > last[0] and k == 1: counts["survived"] += 1
            last = (gen, k)
            if close: conn.close(); conn = None
        except (Closed, OSError, ValueError, IndexError):
            if conn: conn.close()
            conn = None
        with lock:
            counts["requests"] += 1
            counts["failed"] += 0 if ok else 1
        time.sleep(rnd.randint(0, 50) / 1000)

threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
for t in threads: t.start()
for t in threads: t.join()
stop.set()
open(out, "w").write("%(requests)d %(failed)d %(reconnects)d %(survived)d\n" % counts)
os._exit(0)
PY
ka_pid=$!
sleep 1
for gen in 3 4; do
    "$fdpass" hold --reload --control "$work/control.sock" >/dev/null
    ready "$gen" || fail "generation $gen is ready"
done
for _ in $(seq 300); do grep -q "generation 3 (pid [0-9]*[^)]*) drained and exited" "$work/hold.log" && break; sleep 0.1; done
sleep 1
touch "$work/keepalive.stop"
wait "$ka_pid"
read -r ka_requests ka_failed ka_reconnects ka_survived <"$work/keepalive" 2>/dev/null || ka_requests=""
if [ -n "$ka_requests" ] && [ "$ka_requests" -gt 0 ] && [ "$ka_failed" -eq 0 ] && [ "$ka_reconnects" -le 4 ]; then
    ok "4 keep-alive clients through 2 reloads: $ka_requests requests, 0 failed, $ka_reconnects reconnects"
else
    fail "keep-alive clients through 2 reloads: ${ka_requests:-no} requests, ${ka_failed:-?} failed, ${ka_reconnects:-?} reconnects (at most 4)"
fi
if [ -n "$ka_requests" ] && [ "$ka_survived" -ge 1 ]; then
    ok "keep-alive connections carried on in a new generation ($ka_survived times the next request on a connection came from a newer generation)"
else
    fail "no keep-alive connection carried on in a new generation"; tail -n 20 "$work/hold.log"
fi
finish
