#!/usr/bin/env bash
# Requests/s of samples/kestrel-hold under fdpass hold with Kestrel's socket transport (--no-handover) and with
# FdPasser.AspNetCore's own transport (the default where hold offers a handover link), side by side in one run:
# ROUNDS rounds, each running wrk against one then the other (the order alternates), so a shared machine's load
# falls on both alike. Loopback only; each wrk run is bounded by its duration.
#
#   bench/kestrel/transport.sh                  # ROUNDS=3 DURATION=5s THREADS=2 CONNECTIONS=16
#
# Prints one line per wrk run and the median requests/s of each transport with their ratio.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-5s}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-16}"
work="$(mktemp -d "${TMPDIR:-/tmp}/kestrel-transport.XXXXXX")"
pids=()

cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "transport.sh: needs wrk (Debian package wrk)" >&2; exit 2; }
echo "building fdpass and the sample (Release)"
dotnet build "$repo/cli" -c Release -nologo -v q -o "$work/cli" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
dotnet build "$repo/samples/kestrel-hold" -c Release -nologo -v q -o "$work/sample" >>"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start() { # start NAME [ARGS]: the sample under fdpass hold; its port goes to $work/NAME.port (not a subshell, so its pid is kept for cleanup)
    local name="$1"; shift
    local port; port="$(free_port)"
    "$work/cli/fdpass" hold --listen "web=tcp:127.0.0.1:$port" --control "$work/$name.sock" -- dotnet "$work/sample/kestrel-hold.dll" "$@" >"$work/$name.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 600); do grep -q "is ready" "$work/$name.log" && break; sleep 0.1; done
    grep -q "is ready" "$work/$name.log" || { echo "$name did not get ready:"; cat "$work/$name.log"; exit 1; }
    echo "$port" >"$work/$name.port"
}

start kestrel --no-handover
start own
kestrel_port="$(cat "$work/kestrel.port")"
own_port="$(cat "$work/own.port")"
# Warm both up (JIT, tiering) before measuring.
wrk -t"$THREADS" -c"$CONNECTIONS" -d3s "http://127.0.0.1:$kestrel_port/" >/dev/null
wrk -t"$THREADS" -c"$CONNECTIONS" -d3s "http://127.0.0.1:$own_port/" >/dev/null

run() { # run NAME PORT: one wrk run; prints requests/s
    local rps
    rps="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" "http://127.0.0.1:$2/" | awk '/^Requests\/sec:/ { print $2 }')"
    echo "$1 $rps" >>"$work/results"
    printf '%-8s %10s req/s  (load %s)\n' "$1" "$rps" "$(cut -d' ' -f1 /proc/loadavg)"
}

for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) -eq 1 ]; then run kestrel "$kestrel_port"; run own "$own_port"; else run own "$own_port"; run kestrel "$kestrel_port"; fi
done

median() { grep "^$1 " "$work/results" | cut -d' ' -f2 | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
k="$(median kestrel)"; o="$(median own)"
echo "median: Kestrel's socket transport $k req/s, FdPasser.AspNetCore's transport $o req/s, ratio $(awk -v o="$o" -v k="$k" 'BEGIN { printf "%.3f", o / k }')"
