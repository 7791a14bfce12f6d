using System;
using System.Runtime.InteropServices;
using FdPasser.Bsd;
using FdPasser.Interop;

namespace FdPasser.Platform;

/// <summary>
/// Picks the running target's generated ABI once per process. The checks are intrinsics NativeAOT folds to
/// constants for its target, so an AOT binary keeps only its own target's specialization (two on linux-x64:
/// glibc and musl share the OS and architecture and are told apart at run time).
/// </summary>
internal static class Transports
{
    private static SocketTransport? s_socket;

    /// <summary>The socket (BSD) path of this process's target.</summary>
    public static SocketTransport Socket => s_socket ??= SelectSocket();

    private static SocketTransport SelectSocket()
    {
        Architecture arch = RuntimeInformation.ProcessArchitecture;
        if (OperatingSystem.IsLinux())
        {
            switch (arch)
            {
                case Architecture.X64:
                    return IsMusl() ? BsdTransport<LinuxMuslX64.Abi>.Instance : BsdTransport<LinuxX64.Abi>.Instance;
                case Architecture.Arm64:
                    return BsdTransport<LinuxArm64.Abi>.Instance;
                case Architecture.Arm:
                    return BsdTransport<LinuxArm.Abi>.Instance;
            }
        }
        else if (OperatingSystem.IsMacOS())
        {
            switch (arch)
            {
                case Architecture.X64:
                    return BsdTransport<OsxX64.Abi>.Instance;
                case Architecture.Arm64:
                    return BsdTransport<OsxArm64.Abi>.Instance;
            }
        }
        else if (OperatingSystem.IsFreeBSD())
        {
            if (arch == Architecture.X64)
            {
                return BsdTransport<FreebsdX64.Abi>.Instance;
            }
        }
        else if (IsIllumos())
        {
            if (arch == Architecture.X64)
            {
                return BsdTransport<IllumosX64.Abi>.Instance;
            }
        }
        throw Unsupported();
    }

    internal static bool IsIllumos() => OperatingSystem.IsOSPlatform("illumos") || OperatingSystem.IsOSPlatform("solaris");

    internal static PlatformNotSupportedException Unsupported() => new(
        $"FdPasser passes descriptors on Linux (x64, arm64, arm; glibc and musl), macOS (x64, arm64), FreeBSD x64 and illumos x64; " +
        $"this process runs on {RuntimeInformation.OSDescription} ({RuntimeInformation.ProcessArchitecture}, {RuntimeInformation.RuntimeIdentifier}), " +
        "for which it has no ABI description.");

    private static bool IsMusl()
    {
        string rid = RuntimeInformation.RuntimeIdentifier;
        if (rid.Contains("musl", StringComparison.Ordinal))
        {
            return true;
        }
        // Portable builds report linux-x64 on either C library: glibc is the one that provides libc.so.6.
        if (NativeLibrary.TryLoad("libc.so.6", out IntPtr glibc))
        {
            NativeLibrary.Free(glibc);
            return false;
        }
        return true;
    }
}
