#!/usr/bin/env bash
# fdpass hold under load: requests and failures during N reloads, p50/p99 latency during reloads against steady
# state, and the holder's own time from SIGHUP to the new generation's process running.
#
#   bench/hold-reload.sh                      # defaults: RELOADS=20 CLIENTS=16 STEADY=5 (seconds)
#   RELOADS=50 CLIENTS=32 bench/hold-reload.sh
#
# The service is the python3-systemd test app (tests/FdPasser.Cli.Tests/Hold/App/hold_app.py, /usr/bin/python3,
# Debian's python3-systemd); the load is bench/hold/load.py on 127.0.0.1 only, one new connection per request,
# stopped by a file or after 10 minutes at most. "Steady" is the STEADY seconds before the first reload; "during
# reloads" is from the first SIGHUP to the last generation ready. A reload is sent when the previous generation
# is ready, so generations overlap while the old ones drain.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
RELOADS="${RELOADS:-20}"
CLIENTS="${CLIENTS:-16}"
STEADY="${STEADY:-5}"
app="$repo/tests/FdPasser.Cli.Tests/Hold/App/hold_app.py"
work="$(mktemp -d "${TMPDIR:-/tmp}/fdpass-hold-bench.XXXXXX")"
holder=""
load=""

cleanup() {
    touch "$work/stop"
    [ -n "$load" ] && wait "$load" 2>/dev/null || true
    if [ -n "$holder" ] && kill -0 "$holder" 2>/dev/null; then
        kill -TERM "$holder"; wait "$holder" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

/usr/bin/python3 -c 'import systemd.daemon' 2>/dev/null || { echo "hold-reload: needs Debian's python3-systemd for /usr/bin/python3" >&2; exit 2; }
echo "building fdpass (Release)"
dotnet build "$repo/cli" -c Release -nologo -v q -o "$work/bin" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

"$work/bin/fdpass" hold --listen web=tcp:127.0.0.1:0 --control "$work/control.sock" -- /usr/bin/python3 "$app" >"$work/hold.log" 2>&1 &
holder=$!
wait_for() { # wait_for PATTERN: a line of the holder's log
    for _ in $(seq 1 600); do grep -q "$1" "$work/hold.log" && return 0; sleep 0.05; done
    echo "hold-reload: no '$1' in the log:"; cat "$work/hold.log"; exit 1
}
wait_for "generation 1 (pid [0-9]*) is ready"
port="$(sed -nE 's/.*listening on web=tcp:127\.0\.0\.1:([0-9]+).*/\1/p' "$work/hold.log")"

python3 "$here/hold/load.py" "$port" "$CLIENTS" "$work/stop" "$work/requests.txt" 600 &
load=$!
sleep "$STEADY"
reload_start="$(python3 -c 'import time; print(time.monotonic())')"
for n in $(seq 2 $((RELOADS + 1))); do
    kill -HUP "$holder"
    wait_for "generation $n (pid [0-9]*) is ready"
done
reload_end="$(python3 -c 'import time; print(time.monotonic())')"
sleep 1
touch "$work/stop"
wait "$load"; load=""

python3 - "$work/requests.txt" "$work/hold.log" "$reload_start" "$reload_end" "$RELOADS" "$CLIENTS" <<'PY'
import re, statistics, sys
requests, log, start, end, reloads, clients = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
rows = [tuple(map(float, l.split())) for l in open(requests)]
steady = [r for r in rows if r[0] < start]
during = [r for r in rows if start <= r[0] <= end]
def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")
def line(name, rs):
    ms = [r[1] for r in rs]
    failed = sum(1 for r in rs if r[2] == 0)
    print(f"| {name} | {len(rs)} | {failed} | {pct(ms, 50):.2f} | {pct(ms, 99):.2f} | {max(ms) if ms else float('nan'):.2f} |")
spawn = [float(m.group(1)) for m in re.finditer(r"running ([0-9.]+) ms after the reload was asked for", open(log).read())]
print(f"fdpass hold, {reloads} reloads (SIGHUP), {clients} clients, a new connection per request, 127.0.0.1")
print()
print("| phase | requests | failed | p50 ms | p99 ms | max ms |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
line(f"steady ({start - min(r[0] for r in rows):.1f} s)", steady)
line(f"during reloads ({end - start:.1f} s)", during)
line("whole run", rows)
print()
print(f"SIGHUP to the new process running (holder's own measure, {len(spawn)} reloads): "
      f"p50 {statistics.median(spawn):.2f} ms, max {max(spawn):.2f} ms" if spawn else "no reload timings in the log")
total_failed = sum(1 for r in rows if r[2] == 0)
print(f"{len(rows)} requests, {total_failed} failed")
sys.exit(1 if total_failed else 0)
PY
