#!/usr/bin/env bash
# fdpass hold through many reloads: does the holder give back what each reload takes? Records hold's open
# descriptors (/proc/PID/fd), VmRSS and threads before the first reload, after half the reloads and after all of
# them (each time once the old generations have drained), with the generations still running and the requests that
# failed under a light load. Exits 1 when the descriptors did not come back to the starting count within
# FD_TOLERANCE, or VmRSS grew by RSS_BOUND_MB or more over the run or by RSS_HALF_BOUND_MB or more over its second
# half (a leak grows every reload; the runtime's own growth, JIT and GC heap, levels off in the first ones).
#
#   bench/hold-soak.sh                        # RELOADS=200 CLIENTS=2 PAUSE=0.05 RELOAD_BY=both
#   RELOADS=20 bench/hold-soak.sh             # a short run
#   FDPASS=/path/to/fdpass bench/hold-soak.sh # an fdpass already built (otherwise a Release build of the tree)
#   GEN0=default bench/hold-soak.sh           # the runtime's own gen0 budget (bounds 48 and 12 MB)
#
# The service is the python3-systemd test app (tests/FdPasser.Cli.Tests/Hold/App/hold_app.py, /usr/bin/python3),
# which stores a memfd with FDSTORE=1 at every start, so the store path is soaked too. The load is
# bench/hold/load.py on 127.0.0.1: CLIENTS clients, a new connection per request, PAUSE seconds between requests.
# A reload is asked for once the previous generation is ready (as `fdpass hold --status` tells): SIGHUP and
# `fdpass hold --reload` in turn (RELOAD_BY=both), or only one of them (sighup, control). Hold runs with a 2 MB
# gen0 budget (DOTNET_GCgen0size=GEN0): with the default one the heap grows for ~150 reloads before the GC holds it
# flat, which hides a slow leak for as long. The run stops by itself after MAX_SECONDS (default 900) at most.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
RELOADS="${RELOADS:-200}"
CLIENTS="${CLIENTS:-2}"
PAUSE="${PAUSE:-0.05}"
FD_TOLERANCE="${FD_TOLERANCE:-2}"
GEN0="${GEN0:-0x200000}"
if [ "$GEN0" = default ]; then RSS_BOUND_MB="${RSS_BOUND_MB:-48}"; RSS_HALF_BOUND_MB="${RSS_HALF_BOUND_MB:-12}"; fi
RSS_BOUND_MB="${RSS_BOUND_MB:-32}"
RSS_HALF_BOUND_MB="${RSS_HALF_BOUND_MB:-4}"
MAX_SECONDS="${MAX_SECONDS:-900}"
RELOAD_BY="${RELOAD_BY:-both}"
app="$repo/tests/FdPasser.Cli.Tests/Hold/App/hold_app.py"
work="$(mktemp -d "${TMPDIR:-/tmp}/fdpass-hold-soak.XXXXXX")"
deadline=$((SECONDS + MAX_SECONDS))
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
fail() { echo "hold-soak: $*" >&2; tail -n 20 "$work/hold.log" >&2 || true; exit 1; }

/usr/bin/python3 -c 'import systemd.daemon' 2>/dev/null || { echo "hold-soak: needs Debian's python3-systemd for /usr/bin/python3" >&2; exit 2; }
fdpass="${FDPASS:-}"
if [ -z "$fdpass" ]; then
    echo "building fdpass (Release)"
    dotnet build "$repo/cli" -c Release -nologo -v q -o "$work/bin" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
    fdpass="$work/bin/fdpass"
fi

[ "$GEN0" = default ] || export DOTNET_GCgen0size="$GEN0"
"$fdpass" hold --listen web=tcp:127.0.0.1:0 --control "$work/control.sock" -- /usr/bin/python3 "$app" >"$work/hold.log" 2>&1 &
unset DOTNET_GCgen0size
holder=$!

status() { "$fdpass" hold --status --control "$work/control.sock" 2>&1 || true; }
wait_ready() { # wait_ready N: generation N is ready, as --status tells, within 60 s and the run's deadline
    local until=$((SECONDS + 60))
    while ! status | grep -qE "^generation $1 pid [0-9]+ ready "; do
        kill -0 "$holder" 2>/dev/null || fail "fdpass hold exited"
        [ "$SECONDS" -lt "$deadline" ] || fail "MAX_SECONDS=$MAX_SECONDS passed"
        [ "$SECONDS" -lt "$until" ] || fail "generation $1 not ready within 60 s"
        sleep 0.1
    done
}
generations() { status | grep -c '^generation ' || true; }
sample() { # sample NAME RELOADS: once the old generations have drained (30 s at most), one row of figures
    local running
    for _ in $(seq 1 150); do
        running="$(generations)"
        [ "$running" -le 1 ] && break
        sleep 0.2
    done
    sleep 1 # the holder's loop has handled the last exit and closed what came with it
    local fds rss threads children
    fds="$(ls "/proc/$holder/fd" | wc -l)"
    rss="$(awk '/^VmRSS:/ { print $2 }' "/proc/$holder/status")"
    threads="$(awk '/^Threads:/ { print $2 }' "/proc/$holder/status")"
    children="$(ps -o pid= --ppid "$holder" | wc -l)"
    # the load's clock (monotonic), to count the requests made so far
    echo "$1 $2 $fds $rss $threads $running $children $(python3 -c 'import time; print(time.monotonic())')" >>"$work/samples.txt"
}

wait_ready 1
port="$(status | sed -nE 's/^listener web tcp:127\.0\.0\.1:([0-9]+)$/\1/p')"
python3 "$here/hold/load.py" "$port" "$CLIENTS" "$work/stop" "$work/requests.txt" "$MAX_SECONDS" "$PAUSE" &
load=$!
sleep 2
sample before 0
half=$((RELOADS / 2))
started=$SECONDS
for n in $(seq 2 $((RELOADS + 1))); do
    if [ "$RELOAD_BY" = sighup ] || { [ "$RELOAD_BY" = both ] && [ $((n % 2)) -eq 0 ]; }; then
        kill -HUP "$holder"
    else
        "$fdpass" hold --reload --control "$work/control.sock" >>"$work/reload.log" 2>&1 || fail "fdpass hold --reload failed"
    fi
    wait_ready "$n"
    if [ $((n - 1)) -eq "$half" ] && [ "$half" -gt 0 ] && [ "$half" -lt "$RELOADS" ]; then
        sample "after $half" "$half"
    fi
done
sample "after $RELOADS" "$RELOADS"
elapsed=$((SECONDS - started))
touch "$work/stop"
wait "$load"; load=""

python3 - "$work/samples.txt" "$work/requests.txt" "$elapsed" "$CLIENTS" "$PAUSE" "$RELOAD_BY" "$GEN0" \
    "$FD_TOLERANCE" "$RSS_BOUND_MB" "$RSS_HALF_BOUND_MB" <<'PY'
import sys
samples, requests, elapsed, clients, pause, reload_by, gen0 = sys.argv[1:8]
fd_tolerance, rss_bound, half_bound = int(sys.argv[8]), float(sys.argv[9]), float(sys.argv[10])
rows = []
for line in open(samples):
    *name, reloads, fds, rss, threads, running, children, at = line.split()
    rows.append((" ".join(name), int(reloads), int(fds), int(rss) / 1024, int(threads), int(running), int(children), float(at)))
reqs = [tuple(map(float, l.split())) for l in open(requests)]
how = {"both": "SIGHUP and fdpass hold --reload in turn", "sighup": "SIGHUP", "control": "fdpass hold --reload"}[reload_by]
print(f"fdpass hold, {rows[-1][1]} reloads ({how}, each once the last generation was ready) in {elapsed} s; "
      f"gen0 budget {gen0}; {clients} clients on 127.0.0.1, a new connection per request, {pause} s between requests")
print()
print("| when | hold's descriptors | VmRSS MB | threads | generations running | child processes | requests so far | failed so far |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for name, reloads, fds, rss, threads, running, children, at in rows:
    upto = [r for r in reqs if r[0] <= at]
    print(f"| {name} | {fds} | {rss:.1f} | {threads} | {running} | {children} | {len(upto)} | {sum(1 for r in upto if r[2] == 0)} |")
first, middle, end = rows[0], rows[-2], rows[-1]
fd_ok = abs(end[2] - first[2]) <= fd_tolerance
growth, half_growth = end[3] - first[3], end[3] - middle[3]
rss_ok = growth < rss_bound and half_growth < half_bound
print()
print(f"{len(reqs)} requests, {sum(1 for r in reqs if r[2] == 0)} failed; {end[5]} generation(s) running at the end")
print(f"{'PASS' if fd_ok and rss_ok else 'FAIL'}: descriptors {first[2]} -> {end[2]} "
      f"({'within' if fd_ok else 'NOT within'} ±{fd_tolerance} of the start); VmRSS {first[3]:.1f} -> {end[3]:.1f} MB, "
      f"{growth:+.1f} MB over the run and {half_growth:+.1f} MB over its second half "
      f"({'under' if rss_ok else 'NOT under'} the bounds of {rss_bound:g} and {half_bound:g} MB)")
sys.exit(0 if fd_ok and rss_ok else 1)
PY
