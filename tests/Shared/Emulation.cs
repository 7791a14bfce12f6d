using System;

namespace FdPasser.TestSupport;

/// <summary>
/// The emulator a suite runs under, when it does: tests/cross/run.sh sets <c>FDPASSER_TEST_EMULATOR</c> to what
/// qemu-user says it is ("qemu-aarch64 7.2.22 (Debian ...)"). Under qemu-user the system calls a test sees are the
/// emulator's translation of the host kernel's, so a call missing there says nothing about the kernel.
/// </summary>
internal static class Emulation
{
    /// <summary>The emulator's name and version, or null when the suite runs natively.</summary>
    public static string? Emulator =>
        Environment.GetEnvironmentVariable("FDPASSER_TEST_EMULATOR") is { Length: > 0 } value ? value : null;

    /// <summary>
    /// Why a test of openat2 cannot run where openat2 answered ENOSYS: the emulator's missing translation of it, or
    /// a kernel older than 5.6. <paramref name="testedInstead"/> names the test of the openat walk used then.
    /// </summary>
    public static string Openat2Missing(string testedInstead) =>
        Emulator is { } emulator
            ? $"openat2 answered ENOSYS from the emulator, not the kernel: {emulator} does not translate openat2 (qemu-user translates it from a 2024 release on: a newer Debian qemu-user brings it); the openat(O_NOFOLLOW) walk is tested instead by {testedInstead}"
            : $"openat2 answered ENOSYS: this kernel is older than Linux 5.6; the openat(O_NOFOLLOW) walk is tested instead by {testedInstead}";
}
