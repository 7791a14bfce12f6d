#!/usr/bin/env bash
# Publishes fdpass as a NativeAOT binary and as a trimmed single-file app, and checks them:
# zero warnings, the AOT binary under 3.5 MiB and free of other OSes' interop, `demo` runs, and serve/get work
# AOT <-> JIT both ways.
# Prints one "ok"/"FAIL" line per check and "N passed, N failed"; exits non-zero when any check failed.
# Usage: cli/aot-check.sh            (FDPASS_RID overrides the target: the name of a file in abi/ without .abi)
set -u

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d /tmp/fdpass-aot.XXXXXX)"
max_bytes=$((7 * 512 * 1024)) # 3.5 MiB
passed=0
failed=0
servers=()

cleanup() {
    for pid in "${servers[@]}"; do
        kill -KILL "$pid" 2>/dev/null
    done
    rm -rf "$work"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok   - $*"; }
fail() { failed=$((failed + 1)); echo "FAIL - $*"; }
check() { # check DESCRIPTION COMMAND...
    local what="$1"; shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}

# abi_header FILE KEY: the value of a header line of an ABI file.
abi_header() { awk -v key="$2" '$1 == key { print $2; exit }' "$1"; }

# This machine's target: the ABI file whose os, arch and libc lines match it (the ABI files are the only list).
rid="${FDPASS_RID:-}"
if [ -z "$rid" ]; then
    case "$(uname -s)" in
        Linux) os=linux ;; Darwin) os=osx ;; FreeBSD) os=freebsd ;; SunOS) os=illumos ;; *) os="" ;;
    esac
    case "$(uname -m)" in
        x86_64|amd64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; armv7l|armv6l) arch=arm ;; *) arch="" ;;
    esac
    libc=system
    if [ "$os" = linux ]; then
        if ldd --version 2>&1 | grep -qi musl; then libc=musl; else libc=glibc; fi
    fi
    for file in "$repo"/abi/*.abi; do
        if [ "$(abi_header "$file" os)" = "$os" ] && [ "$(abi_header "$file" arch)" = "$arch" ] &&
            [ "$(abi_header "$file" libc)" = "$libc" ]; then
            rid="$(abi_header "$file" target)"
        fi
    done
    if [ -z "$rid" ]; then
        echo "aot-check: no ABI file for $(uname -s) $(uname -m); set FDPASS_RID" >&2
        exit 2
    fi
fi
own_os="$(abi_header "$repo/abi/$rid.abi" os)"

# publish NAME DIR ARGS...: a fresh publish (the RID's intermediate files removed, so every warning shows again).
publish() {
    local name="$1" out="$2"; shift 2
    rm -rf "$repo/cli/obj/Release/net10.0/$rid" "$repo/cli/bin/Release/net10.0/$rid"
    if ! dotnet publish "$repo/cli" -c Release -r "$rid" -tl:off -nologo -o "$out" "$@" >"$work/$name.log" 2>&1; then
        fail "$name publish succeeds (log follows)"
        tail -n 30 "$work/$name.log"
        return 1
    fi
    ok "$name publish succeeds"
    local warnings
    warnings="$(grep -E 'warning [A-Z]+[0-9]+' "$work/$name.log" | sort -u)"
    if [ -z "$warnings" ]; then
        ok "$name publish has zero warnings"
    else
        fail "$name publish has warnings:"
        echo "$warnings"
    fi
}

# start_server BINARY ENDPOINT ROOT: starts `serve` and waits until it listens.
start_server() {
    local log="$work/serve-$(basename "$2").log"
    "$1" serve "$2" --root "$3" >"$log" 2>&1 &
    servers+=("$!")
    server_pid=$!
    for _ in $(seq 1 100); do
        grep -q "listening on" "$log" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "server did not start:"; cat "$log"
    return 1
}

# stop_server: SIGTERM, a clean exit, and the socket file gone.
stop_server() {
    local endpoint="$1"
    kill -TERM "$server_pid" && wait "$server_pid" && [ ! -e "$endpoint" ]
}

# exchange SERVER_BIN CLIENT_BIN LABEL: serve with one, get with the other (a file, and a refusal).
exchange() {
    local server="$1" client="$2" label="$3"
    local endpoint="$work/$label.sock"
    if ! start_server "$server" "$endpoint" "$work/root"; then
        fail "$label: server starts"
        return
    fi
    "$client" get "$endpoint" data.bin >"$work/$label.out" 2>"$work/$label.err"
    check "$label: get copies the file byte for byte" cmp -s "$work/root/data.bin" "$work/$label.out"
    "$client" get "$endpoint" ../outside.txt >"$work/$label.out" 2>"$work/$label.err"
    local code=$?
    check "$label: a refused path exits 3 with the server's message" \
        test "$code" = 3 -a "$(cat "$work/$label.err")" = "fdpass get: refused by the server: '../outside.txt' has a '..' component, which is not allowed (status 13, EACCES)"
    check "$label: SIGTERM stops the server and removes the socket file" stop_server "$endpoint"
}

echo "fdpass AOT check for $rid in $work"
mkdir -p "$work/root"
head -c 200000 /dev/urandom >"$work/root/data.bin"
echo "outside" >"$work/outside.txt"

aot="$work/aot/fdpass"
if publish aot "$work/aot" -p:PublishAot=true; then
    size=$(wc -c <"$aot")
    echo "     AOT binary: $size bytes ($(awk "BEGIN { printf \"%.2f\", $size / 1048576 }") MiB)"
    check "AOT binary is under 3.5 MiB" test "$size" -lt "$max_bytes"
    # NativeAOT folds the OS checks of target selection: no other OS's interop may be left in the binary. Other
    # OSes' interop is named by their ABI files: the libraries they load and the symbols they bind under other names.
    foreign=""
    for file in "$repo"/abi/*.abi; do
        [ "$(abi_header "$file" os)" = "$own_os" ] && continue
        foreign="$foreign $(awk '$1 == "library" { print $3 } $1 == "fn" { for (i = 1; i <= NF; i++) if ($i ~ /^entry=/) print substr($i, 7) }' "$file")"
    done
    foreign="$(echo $foreign | tr ' ' '\n' | sort -u)"
    for name in $foreign; do
        check "AOT binary holds no interop of another OS ($name)" bash -c '! grep -qaF "$1" "$2"' _ "$name" "$aot"
    done
    "$aot" demo >"$work/demo.out" 2>&1
    check "AOT demo exits 0 and finishes" grep -q "demo finished: both descriptors worked" "$work/demo.out"
fi

jit="$work/jit/fdpass"
if dotnet publish "$repo/cli" -c Release -tl:off -nologo -o "$work/jit" >"$work/jit.log" 2>&1; then
    ok "JIT (framework-dependent) publish succeeds"
else
    fail "JIT (framework-dependent) publish succeeds"
    tail -n 30 "$work/jit.log"
fi

if [ -x "$aot" ] && [ -x "$jit" ]; then
    exchange "$aot" "$jit" aot-serves-jit
    exchange "$jit" "$aot" jit-serves-aot
fi

trimmed="$work/trimmed/fdpass"
if publish trimmed "$work/trimmed" -p:PublishSingleFile=true -p:PublishTrimmed=true -p:SelfContained=true; then
    "$trimmed" demo >"$work/trimmed-demo.out" 2>&1
    check "trimmed single-file demo exits 0 and finishes" grep -q "demo finished: both descriptors worked" "$work/trimmed-demo.out"
    [ -x "$aot" ] && exchange "$trimmed" "$aot" trimmed-serves-aot
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
