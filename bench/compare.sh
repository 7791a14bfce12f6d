#!/usr/bin/env bash
# Builds the pass-K workload in C, Python and .NET (FdPasser's raw API, sync and async, and its framed API), runs
# them alternately ROUNDS times and prints the medians with their ratios to C. A fourth .NET row, the floor, makes
# C's three calls from .NET through P/Invoke with no library at all (bench/c/floor.c, Floor.cs): its ratio is what
# the runtime costs any .NET program on this machine, and FdPasser's rows are to be read against it. Needs the .NET SDK, a C compiler and
# python3 >= 3.9.
#
#   bench/compare.sh                 # defaults: ROUNDS=9 N1=60000 N253=2000 (about a minute on 2 cores)
#   ROUNDS=3 N1=20000 N253=500 bench/compare.sh
#
# Each run warms up before it measures (C and Python: N/10 messages; .NET: 500 ms so the JIT has tiered up).
# The order of the implementations rotates from round to round, so drift on a busy machine is shared out.
# "vs C" is the median over rounds of each round's ratio to that round's C run (runs of one round are seconds
# apart, so a load burst on a shared machine moves both); the time columns are plain medians. "CPU vs C" is the
# same ratio of the process's CPU time per message (every program measures it around its timed loop, --cpu),
# which other jobs on a busy machine inflate far less than the elapsed time: read it when the load average
# printed below is above the number of cores. "best vs C" is each implementation's fastest run against C's fastest
# run: other jobs only ever add time, so on a machine whose load comes in bursts (a shared VM) it is the steadier
# estimate of the undisturbed ratio; read it beside the median, not instead of it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROUNDS="${ROUNDS:-9}"
N1="${N1:-60000}"
N253="${N253:-2000}"
NPENDING="${NPENDING:-20000}"
CC="${CC:-$(command -v cc || command -v gcc || echo cc)}"
work="$(mktemp -d "${TMPDIR:-/tmp}/fdpasser-compare.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "building (C: $(basename "$CC") -O2, .NET: Release) ..." >&2
"$CC" -O2 -o "$work/pass" "$here/c/pass.c"
"$CC" -O2 -shared -fPIC -o "$work/libfloor.so" "$here/c/floor.c"
dotnet build "$here/FdPasser.Bench.csproj" -c Release -o "$work/net" -nologo -v quiet -clp:ErrorsOnly -clp:NoSummary >&2
net="$work/net/FdPasser.Bench"
[ -x "$net" ] || net="dotnet $work/net/FdPasser.Bench.dll"

have_python=1
if ! python3 -c 'import socket, sys; sys.exit(0 if hasattr(socket, "send_fds") else 1)' 2>/dev/null; then
  echo "python3 without socket.send_fds (needs 3.9+): Python is left out" >&2
  have_python=0
fi

impls=(c net-floor net-sync net-async net-framed)
[ "$have_python" = 1 ] && impls=(c python net-floor net-sync net-async net-framed)

run() { # impl K N -> the one result line
  local impl=$1 k=$2 n=$3
  case "$impl" in
    c)         "$work/pass" --fds "$k" --iterations "$n" --cpu ;;
    python)    python3 "$here/python/pass.py" --fds "$k" --iterations "$n" --cpu ;;
    net-floor) $net quick --fds "$k" --iterations "$n" --api floor --floor "$work/libfloor.so" --cpu ;;
    net-sync)  $net quick --fds "$k" --iterations "$n" --cpu ;;
    net-async) $net quick --fds "$k" --iterations "$n" --async --cpu ;;
    net-framed) $net quick --fds "$k" --iterations "$n" --api framed --cpu ;;
  esac
}

results="$work/results.txt"
: >"$results"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
count=${#impls[@]}
for ((r = 0; r < ROUNDS; r++)); do
  echo "round $((r + 1))/$ROUNDS" >&2
  for k in 1 253; do
    n=$N1
    [ "$k" = 253 ] && n=$N253
    for ((i = 0; i < count; i++)); do
      impl=${impls[$(((i + r) % count))]}
      line="$(run "$impl" "$k" "$n")"
      echo "$r $impl $k $line" >>"$results"
    done
  done
done

echo "async completions (ping-pong between two tasks, $NPENDING round trips) ..." >&2
pending="$($net quick --fds 1 --iterations "$NPENDING" --async --pending)"

cpu="$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || true)"
echo
echo "Machine: ${cpu:-unknown CPU}, $(nproc) cores, $(uname -sr); .NET $(dotnet --version), $("$CC" --version | head -1), $(python3 --version 2>&1)"
echo "Medians of $ROUNDS alternating runs; pass-1: $N1 messages per run, pass-253: $N253. vs C: median of the per-round ratios (range over rounds); best vs C: fastest run against C's fastest run."
echo "Load average (1, 5, 15 min): $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end."
echo
python3 - "$results" "$pending" <<'PY'
import statistics, sys

rows = {}
by_round = {}
for line in open(sys.argv[1]):
    rnd, impl, k, *fields = line.split()
    values = dict(f.split("=", 1) for f in fields)
    rows.setdefault((impl, int(k)), []).append(values)
    by_round[(int(rnd), impl, int(k))] = values

names = {"c": "C (sendmsg/recvmsg)", "python": "Python send_fds/recv_fds",
         "net-floor": ".NET floor: C's calls through P/Invoke, no library",
         "net-sync": "FdPasser raw, sync", "net-async": "FdPasser raw, async",
         "net-framed": "FdPasser framed (SendFrame/ReceiveFrame), sync"}

def med(impl, k, key):
    vals = [v[key] for v in rows.get((impl, k), [])]
    nums = [float(x) for x in vals if x != "na"]
    return statistics.median(nums) if nums else None

def best_ratio_text(impl, k, key):
    # Other jobs only ever add time to a run, so each implementation's fastest run is the closest to its
    # undisturbed cost: on a machine with bursts of load this ratio moves far less than the median's.
    def best(i):
        return min(float(v[key]) for v in rows[(i, k)])
    return f"{best(impl) / best('c'):.3f}x"

def ratio_text(impl, k, key):
    ratios = [float(v[key]) / float(by_round[(r, "c", k)][key])
              for (r, i, kk), v in by_round.items() if i == impl and kk == k and (r, "c", k) in by_round]
    return f"{statistics.median(ratios):.3f}x (per round: {min(ratios):.2f}–{max(ratios):.2f})"

print("| workload | implementation | ns per message | ns per descriptor | vs C | best vs C | CPU ns per descriptor | CPU vs C | bytes allocated per message |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for k in (1, 253):
    key = "ns_per_msg" if k == 1 else "ns_per_fd"
    for impl in ("c", "python", "net-floor", "net-sync", "net-async", "net-framed"):
        if (impl, k) not in rows:
            continue
        msg, fd, alloc = med(impl, k, "ns_per_msg"), med(impl, k, "ns_per_fd"), med(impl, k, "alloc_bytes_per_msg")
        cpu_fd = med(impl, k, "cpu_ns_per_fd")
        alloc_text = "n/a" if alloc is None else f"{alloc:g}"
        print(f"| pass-{k} | {names[impl]} | {msg:,.0f} | {fd:,.1f} | {ratio_text(impl, k, key)} | {best_ratio_text(impl, k, key)} | {cpu_fd:,.1f} | "
              f"{ratio_text(impl, k, 'cpu_' + key)} | {alloc_text} |")

p = dict(f.split("=", 1) for f in sys.argv[2].split())
print()
print(f"Async completions (ping-pong between two tasks, pass-1 each way): {float(p['ns_per_msg']):,.0f} ns per round trip, "
      f"{float(p['alloc_bytes_per_msg']):g} bytes allocated per round trip (whole process), "
      f"{float(p['pending_per_msg']) * 100:.0f}% of the client's receives completed asynchronously.")
PY
