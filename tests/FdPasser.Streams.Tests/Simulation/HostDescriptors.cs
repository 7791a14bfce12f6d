using System;
using FdPasser.Interop;
using FdPasser.Platform;

namespace FdPasser.Streams.Tests.Simulation;

/// <summary>
/// Real descriptors of the test process, through the host target's generated stubs: the simulation duplicates a
/// real descriptor passed with I_SENDFD (as the kernel takes its own reference) and closes one a message frees.
/// </summary>
internal static class HostDescriptors
{
    /// <summary>F_DUPFD is 0 on Linux, macOS, FreeBSD and illumos alike (it is not in the ABI files).</summary>
    private const int F_DUPFD = 0;

    public static int Duplicate(int fd) => Transports.Choice.SocketRid switch
    {
        "linux-x64" => Duplicate<LinuxX64.Abi>(fd),
        "linux-musl-x64" => Duplicate<LinuxMuslX64.Abi>(fd),
        "linux-arm64" => Duplicate<LinuxArm64.Abi>(fd),
        "osx-x64" => Duplicate<OsxX64.Abi>(fd),
        "osx-arm64" => Duplicate<OsxArm64.Abi>(fd),
        "freebsd-x64" => Duplicate<FreebsdX64.Abi>(fd),
        _ => throw new PlatformNotSupportedException("The STREAMS simulation duplicates real descriptors only on the socket targets."),
    };

    private static int Duplicate<TAbi>(int fd)
        where TAbi : struct, IPlatformAbi
    {
        int copy = TAbi.fcntl(fd, F_DUPFD, 0);
        if (copy >= 0)
        {
            TAbi.fcntl(copy, TAbi.F_SETFD, TAbi.FD_CLOEXEC);
        }
        return copy;
    }

    public static int Close(int fd) => Transports.Socket.CloseDescriptor(fd);

    /// <summary>True where the real descriptor number is open (fcntl(F_GETFL) succeeds).</summary>
    public static bool IsOpen(int fd)
    {
        using var borrowed = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false);
        try
        {
            Transports.Socket.GetStatusFlags(borrowed);
            return true;
        }
        catch (FdPassingException)
        {
            return false;
        }
    }
}
