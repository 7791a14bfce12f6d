#!/usr/bin/env bash
# Runs FdPasser on another target than this x64 machine's, under qemu-user emulation:
#  1. installs what the target needs (tests/cross/setup-RID.sh; as root with apt-get),
#  2. publishes FdPasser.Tests, FdPasser.Streams.Tests and FdPasser.Cli.Tests self-contained for RID, with their
#     peers built for RID too (the test peer, samples/activation, fdpass, the C peers compiled by the target's cross
#     gcc); the CLI suite runs the NativeAOT fdpass: a JIT one spends seconds of emulated CPU starting (the JIT itself
#     is emulated), and the suite starts fdpass afresh for almost every test,
#  3. runs the three suites,
#  4. publishes fdpass with NativeAOT for RID and exchanges descriptors between it and an x64 JIT fdpass both ways
#     (cli/aot-check.sh: serve/get, demo; also a trimmed single-file build for RID, which runs on the JIT).
# Ends with "N passed, N failed, N skipped"; exits non-zero when anything failed or could not run.
#
# Usage: tests/cross/run.sh RID
#   linux-arm64      supported: qemu-aarch64 runs it (binfmt_misc starts the peers under qemu too).
#   linux-arm        not runnable here: the registry this machine restores from has no .NET runtime pack or host
#                    pack for linux-arm (Microsoft.NETCore.App.Runtime.linux-arm), so nothing can be published for it.
#   linux-musl-x64   not run: Debian has musl's C library but no musl builds of libstdc++, libgcc_s or libssl, which
#                    the .NET runtime links; running it would mean glibc's copies under musl's loader (see docs/platforms.md).
#   linux-x64        this machine's own target: `dotnet test FdPasser.sln` runs it natively.
#   osx-*, freebsd-*, illumos-*: another kernel; qemu-user translates instructions, not another OS's system calls.
# Their ABI files stay checked by the C probes (tests/FdPasser.Generator.Tests).
set -u
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rid="${1:-}"
started=$SECONDS
passed=0 failed=0 skipped=0

finish() {
    echo "cross run for ${rid:-?} took $((SECONDS - started)) s"
    echo "$passed passed, $failed failed, $skipped skipped"
    [ "$failed" -eq 0 ]
    exit
}
not_runnable() { echo "tests/cross/run.sh: $rid cannot be run on this machine: $*" >&2; exit 2; }

case "$rid" in
    linux-arm64) cross_cc=aarch64-linux-gnu-gcc ;;
    linux-arm) not_runnable "no .NET runtime pack or host pack for linux-arm on the package registry" ;;
    linux-musl-x64) not_runnable "Debian has no musl builds of libstdc++, libgcc_s or libssl, which the .NET runtime needs" ;;
    linux-x64) not_runnable "it is this machine's own target: dotnet test FdPasser.sln runs it natively" ;;
    osx-*|freebsd-*|illumos-*) not_runnable "qemu-user emulates a CPU, not another kernel's system calls" ;;
    *) echo "usage: tests/cross/run.sh RID   (supported: linux-arm64)" >&2; exit 2 ;;
esac

work="$(mktemp -d /tmp/fdpasser-cross.XXXXXX)"
trap 'rm -rf "$work"' EXIT

fail() { failed=$((failed + 1)); echo "FAIL - $*"; }
step() { echo "== $* ($((SECONDS - started)) s)"; }

# is_target FILE: the file is an ELF executable for the target's machine (e_machine 183 = EM_AARCH64).
is_target() { [ "$(od -An -tx1 -j18 -N2 "$1" 2>/dev/null | tr -d ' \n')" = "b700" ]; }

step "setting up $rid emulation"
if ! bash "$repo/tests/cross/setup-$rid.sh"; then
    fail "setting up $rid emulation"; finish
fi
emulator="$(qemu-aarch64 --version | head -n 1)"
echo "qemu: $emulator"

# publish NAME PROJECT ARGS...: a self-contained Release publish for the target into $work/NAME.
publish() {
    local name="$1" project="$2"; shift 2
    if ! dotnet publish "$repo/$project" -c Release -r "$rid" --self-contained -tl:off -nologo -o "$work/$name" "$@" \
            >"$work/$name.log" 2>&1; then
        fail "publishing $project for $rid (log follows)"
        tail -n 30 "$work/$name.log"
        return 1
    fi
}

step "publishing the suites and their peers for $rid"
publish tests tests/FdPasser.Tests || finish
publish streams tests/FdPasser.Streams.Tests || finish
publish cli-tests tests/FdPasser.Cli.Tests || finish
publish activation samples/activation || finish
publish fdpass cli -p:PublishAot=true || finish
for binary in tests/FdPasser.Tests tests/FdPasser.TestPeer streams/FdPasser.Streams.Tests cli-tests/FdPasser.Cli.Tests \
        activation/activation-sample fdpass/fdpass; do
    is_target "$work/$binary" || { fail "$binary is not a $rid executable"; finish; }
done

# The peers the suites start (tests/Shared/TestPrograms.cs): the target's builds, not this machine's.
export FDPASSER_TEST_PEER="$work/tests/FdPasser.TestPeer"
export FDPASSER_FDPASS="$work/fdpass/fdpass"
# The library suite's activation-sample test starts the sample, which starts itself again for each generation: its
# own self-contained publish (the copy of its apphost in the suite's publish has no deps.json and cannot host it).
export FDPASSER_ACTIVATION_SAMPLE="$work/activation/activation-sample"
export FDPASSER_TEST_CC="$cross_cc"
# Tells the suites they run emulated, and under what: a system call the emulator does not translate (openat2 in
# qemu-user 7.2) answers ENOSYS whatever the kernel has, and the tests that skip for it say so (tests/Shared/Emulation.cs).
export FDPASSER_TEST_EMULATOR="$emulator"
# With W^X on, code the JIT writes through a second mapping is sometimes run stale under qemu (random
# NullReferenceExceptions deep in the runtime); off, it is also about 2.5 times faster.
export DOTNET_EnableWriteXorExecute=0
# Every process start costs seconds of emulated CPU (more on a busy machine): the suites' bounds on waits for a
# server to listen or a process to finish grow tenfold (tests/Shared/TestTiming.cs); a passing run waits no longer.
export FDPASSER_TEST_TIME_SCALE=10

# run_suite NAME DIR MINUTES: runs the published xunit.v3 suite, stopped after MINUTES (several times its run on an
# idle 2-core machine, and small enough that .ci/run stays within its 90 minutes), and adds the counts of its
# summary line ("NAME  Total: T, Errors: E, Failed: F, Skipped: S, Not Run: N, Time: ...").
run_suite() {
    local name="$1" dir="$2" minutes="$3" log="$work/$1.out" line
    step "running $name under qemu-user (stopped after $minutes minutes)"
    (cd "$work/$dir" && timeout -k 30s "${minutes}m" "./$name" -noColor -noLogo) 2>&1 | tee "$log"
    local code=${PIPESTATUS[0]}
    line=$(grep -E "^ *$name +Total: [0-9]+, Errors: [0-9]+, Failed: [0-9]+, Skipped: [0-9]+" "$log" | tail -n 1)
    if [ -z "$line" ]; then
        fail "$name ended without a summary (exit $code)"; return
    fi
    count() { sed -E "s/.* $1: ([0-9]+).*/\\1/" <<<"$line"; }
    local total errors failures skips notrun
    total=$(count Total) errors=$(count Errors) failures=$(count Failed) skips=$(count Skipped) notrun=$(count 'Not Run')
    passed=$((passed + total - failures - skips - notrun))
    failed=$((failed + failures + errors))
    skipped=$((skipped + skips + notrun))
    if [ "$code" -ne 0 ] && [ "$failures" -eq 0 ] && [ "$errors" -eq 0 ]; then
        fail "$name exited $code"
    fi
}
run_suite FdPasser.Tests tests 15
run_suite FdPasser.Streams.Tests streams 5
run_suite FdPasser.Cli.Tests cli-tests 25

step "NativeAOT fdpass for $rid <-> x64 JIT fdpass (cli/aot-check.sh)"
FDPASS_RID="$rid" bash "$repo/cli/aot-check.sh" 2>&1 | tee "$work/aot.out"
aot_code=${PIPESTATUS[0]}
aot_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$work/aot.out" | tail -n 1)
if [ -z "$aot_line" ]; then
    fail "cli/aot-check.sh printed no result line (exit $aot_code)"
else
    passed=$((passed + $(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$aot_line")))
    failed=$((failed + $(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$aot_line")))
    [ "$aot_code" -eq 0 ] || grep -q '^FAIL' "$work/aot.out" || fail "cli/aot-check.sh exited $aot_code"
fi

finish
