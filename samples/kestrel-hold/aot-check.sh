#!/usr/bin/env bash
# Publishes samples/kestrel-hold with NativeAOT (zero warnings) and runs the binary under fdpass hold: it answers
# "gen 1", a reload under a small load of new connections fails no request, and generation 2 answers "gen 2"
# (the counter came back through the stored memory file).
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
finish
