#!/usr/bin/env bash
# Makes linux-arm64 programs runnable on this x64 Debian machine (run as root): qemu-user with binfmt_misc, the
# arm64 C library with the libssl and ICU the .NET runtime loads, and the aarch64 cross compilers (the C peers and
# the NativeAOT link). Does nothing that is already done. Exits non-zero, saying what is missing, when it cannot.
set -u

packages_present() {
    dpkg-query -W -f='${Status}\n' "$@" 2>/dev/null | grep -c '^install ok installed$' | grep -qx "$#"
}

# host_package REGEX DEFAULT: the name of this machine's own package matching REGEX (libicu72 on Debian 12, libicu76
# on 13; libssl3 or libssl3t64), so that the arm64 copy is the same package, at the same version (Multi-Arch: same).
host_package() {
    dpkg-query -W -f='${Package} ${Architecture} ${Status}\n' 2>/dev/null \
        | awk -v arch="$(dpkg --print-architecture)" '$2 == arch && $NF == "installed" { print $1 }' \
        | grep -E -x "$1" | sort -V | tail -n 1 | grep . || echo "$2"
}
icu="$(host_package 'libicu[0-9]+' libicu72)"
ssl="$(host_package 'libssl3(t64)?' libssl3)"

need=(qemu-user qemu-user-static binfmt-support libc6-arm64-cross libstdc++6-arm64-cross
      gcc-aarch64-linux-gnu g++-aarch64-linux-gnu clang lld llvm "$ssl:arm64" "$icu:arm64")
if ! packages_present "${need[@]}"; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "missing Debian packages (install as root with apt-get): ${need[*]}" >&2
        exit 1
    fi
    # The arm64 libssl and ICU come from Debian's arm64 archive: without an arm64 libssl the test runner aborts
    # ("No usable version of libssl was found"); without ICU the runtime does not start.
    dpkg --add-architecture arm64
    apt-get update -qq >/dev/null 2>&1
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/tmp/fdpasser-cross-apt.log 2>&1; then
        echo "apt-get install failed:" >&2
        tail -n 20 /tmp/fdpasser-cross-apt.log >&2
        exit 1
    fi
fi

# Child processes (the test peer, fdpass, the C peers) are started by exec, so the kernel must hand arm64 ELF
# files to qemu: binfmt_misc mounted, qemu-aarch64 registered.
binfmt=/proc/sys/fs/binfmt_misc
if [ ! -e "$binfmt/register" ]; then
    mount -t binfmt_misc binfmt_misc "$binfmt" || { echo "cannot mount binfmt_misc (run as root)" >&2; exit 1; }
fi
if [ ! -e "$binfmt/qemu-aarch64" ]; then
    conf=/usr/lib/binfmt.d/qemu-aarch64.conf
    [ -r "$conf" ] || { echo "$conf is missing (Debian package qemu-user-static)" >&2; exit 1; }
    grep -v '^#' "$conf" | grep . >"$binfmt/register" || { echo "cannot register qemu-aarch64 with binfmt_misc" >&2; exit 1; }
fi
grep -qx enabled "$binfmt/qemu-aarch64" || { echo "binfmt_misc entry qemu-aarch64 is not enabled" >&2; exit 1; }
