using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FdPasser.Systemd;

namespace FdPasser.Platform;

/// <summary>Descriptor flags and kinds (fcntl F_GETFD/F_SETFD, fstat, SO_TYPE) of one target.</summary>
internal sealed unsafe partial class FileCalls<TAbi>
{
    public override int TrySetCloseOnExec(int fd)
    {
        while (TAbi.fcntl(fd, TAbi.F_SETFD, TAbi.FD_CLOEXEC) != 0)
        {
            int errno = LastErrno;
            if (errno != TAbi.EINTR)
            {
                return errno;
            }
        }
        return 0;
    }

    public override int TryGetDescriptorFlags(int fd, out int errno)
    {
        int flags;
        while ((flags = TAbi.fcntl(fd, TAbi.F_GETFD, 0)) < 0)
        {
            errno = LastErrno;
            if (errno != TAbi.EINTR)
            {
                return -1;
            }
        }
        errno = 0;
        return flags;
    }

    public override bool IsCloseOnExec(int flags) => (flags & TAbi.FD_CLOEXEC) != 0;

    public override DescriptorKind Describe(SafeHandle handle, out SocketType socketType, out bool listening)
    {
        socketType = SocketType.Unknown;
        listening = false;
        using var scope = new FdScope(handle);
        byte* st = stackalloc byte[TAbi.StatSize];
        if (TAbi.fstat(scope.Fd, st) != 0)
        {
            throw Error("fstat", LastErrno, $"finding what descriptor {scope.Fd} is");
        }
        int format = (int)TAbi.StatMode(st) & TAbi.S_IFMT;
        if (format == TAbi.S_IFSOCK)
        {
            socketType = ReadSocketType(scope.Fd);
            listening = TAbi.Has_SO_ACCEPTCONN && GetIntOption(scope.Fd, TAbi.SO_ACCEPTCONN) > 0;
            return DescriptorKind.Socket;
        }
        if (format == TAbi.S_IFREG)
        {
            return DescriptorKind.RegularFile;
        }
        if (format == TAbi.S_IFDIR)
        {
            return DescriptorKind.Directory;
        }
        if (TAbi.Has_S_IFIFO && format == TAbi.S_IFIFO)
        {
            return DescriptorKind.Fifo;
        }
        return TAbi.Has_S_IFCHR && format == TAbi.S_IFCHR ? DescriptorKind.CharacterDevice : DescriptorKind.Other;
    }

    private static SocketType ReadSocketType(int fd)
    {
        int type = GetIntOption(fd, TAbi.SO_TYPE);
        if (type == TAbi.SOCK_STREAM)
        {
            return SocketType.Stream;
        }
        if (TAbi.Has_SOCK_DGRAM && type == TAbi.SOCK_DGRAM)
        {
            return SocketType.Dgram;
        }
        return TAbi.Has_SOCK_SEQPACKET && type == TAbi.SOCK_SEQPACKET ? SocketType.Seqpacket : SocketType.Unknown;
    }

    /// <summary>getsockopt(SOL_SOCKET) of an int option; -1 where the call failed.</summary>
    private static int GetIntOption(int fd, int option)
    {
        int value = 0;
        uint length = sizeof(int);
        return TAbi.getsockopt(fd, TAbi.SOL_SOCKET, option, &value, &length) == 0 ? value : -1;
    }
}
