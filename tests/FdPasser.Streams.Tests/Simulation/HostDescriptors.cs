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

    public static int Duplicate(int fd) => Target.Current.Choice.SocketRid switch
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

    /// <summary>Sets close-on-exec (or only reads it, for null): 1 set, 0 clear, -1 where the descriptor is not open.</summary>
    public static int SetOrGetCloseOnExec(int fd, bool? closeOnExec) => Target.Current.Choice.SocketRid switch
    {
        "linux-x64" => CloseOnExec<LinuxX64.Abi>(fd, closeOnExec),
        "linux-musl-x64" => CloseOnExec<LinuxMuslX64.Abi>(fd, closeOnExec),
        "linux-arm64" => CloseOnExec<LinuxArm64.Abi>(fd, closeOnExec),
        "osx-x64" => CloseOnExec<OsxX64.Abi>(fd, closeOnExec),
        "osx-arm64" => CloseOnExec<OsxArm64.Abi>(fd, closeOnExec),
        "freebsd-x64" => CloseOnExec<FreebsdX64.Abi>(fd, closeOnExec),
        _ => throw new PlatformNotSupportedException("The STREAMS simulation handles real descriptors only on the socket targets."),
    };

    private static int CloseOnExec<TAbi>(int fd, bool? closeOnExec)
        where TAbi : struct, IPlatformAbi
    {
        if (closeOnExec is { } set && TAbi.fcntl(fd, TAbi.F_SETFD, set ? TAbi.FD_CLOEXEC : 0) != 0)
        {
            return -1;
        }
        int flags = TAbi.fcntl(fd, TAbi.F_GETFD, 0);
        return flags < 0 ? -1 : (flags & TAbi.FD_CLOEXEC) != 0 ? 1 : 0;
    }

    public static int Close(int fd) => Target.Current.Sockets.CloseDescriptor(fd);

    /// <summary>True where the real descriptor number is open (fcntl(F_GETFL) succeeds).</summary>
    public static bool IsOpen(int fd)
    {
        using var borrowed = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false);
        try
        {
            Target.Current.Files.GetStatusFlags(borrowed);
            return true;
        }
        catch (FdPassingException)
        {
            return false;
        }
    }
}
