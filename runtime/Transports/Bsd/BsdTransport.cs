using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using FdPasser.Interop;
using FdPasser.Platform;

namespace FdPasser.Bsd;

/// <summary>
/// The socket path (socketpair, bind/listen/accept/connect, sendmsg/recvmsg with SCM_RIGHTS), written once over
/// the generated <see cref="IPlatformAbi"/> contract and specialized per target, so each call goes straight to
/// that target's generated stub.
/// </summary>
internal sealed unsafe partial class BsdTransport<TAbi> : SocketTransport
    where TAbi : struct, IPlatformAbi
{
    public static readonly BsdTransport<TAbi> Instance = new();

    public override int MaxDescriptorsPerMessage => TAbi.MaxFdsPerMessage;

    public override int MaxDescriptorsReceived => TAbi.MaxFdsReceived;

    public override PlatformConstants Constants => TAbi.Constants;

    public override bool SupportsAbstractNames => TAbi.AbstractSocketNames;

    public override string? ErrnoName(int errno) => TAbi.ErrnoName(errno);

    private static int LastErrno => Marshal.GetLastPInvokeError();

    public override void CreatePair(out SafeSocketHandle first, out SafeSocketHandle second) =>
        CreatePair(TAbi.SOCK_STREAM, "stream", out first, out second);

    public override void CreateSeqPacketPair(out SafeSocketHandle first, out SafeSocketHandle second)
    {
        if (!TAbi.Has_SOCK_SEQPACKET)
        {
            throw new PlatformNotSupportedException($"{TAbi.Rid} has no SOCK_SEQPACKET.");
        }
        CreatePair(TAbi.SOCK_SEQPACKET, "sequenced-packet", out first, out second);
    }

    private void CreatePair(int socketType, string kind, out SafeSocketHandle first, out SafeSocketHandle second)
    {
        int* fds = stackalloc int[2];
        int type = socketType | (TAbi.Has_SOCK_CLOEXEC ? TAbi.SOCK_CLOEXEC : 0);
        if (TAbi.socketpair(TAbi.AF_UNIX, type, 0, fds) != 0)
        {
            throw LastError("socketpair", $"creating a connected pair of Unix {kind} sockets");
        }
        first = Adopt(fds[0], setCloseOnExec: !TAbi.Has_SOCK_CLOEXEC);
        second = Adopt(fds[1], setCloseOnExec: !TAbi.Has_SOCK_CLOEXEC);
    }

    public override SafeSocketHandle CreateSocket()
    {
        int type = TAbi.SOCK_STREAM | (TAbi.Has_SOCK_CLOEXEC ? TAbi.SOCK_CLOEXEC : 0);
        int fd = TAbi.socket(TAbi.AF_UNIX, type, 0);
        if (fd < 0)
        {
            throw LastError("socket", "creating a Unix stream socket");
        }
        return Adopt(fd, setCloseOnExec: !TAbi.Has_SOCK_CLOEXEC);
    }

    /// <summary>Wraps a fresh descriptor; on systems without SOCK_CLOEXEC marks it close-on-exec at once.</summary>
    private SafeSocketHandle Adopt(int fd, bool setCloseOnExec)
    {
        var handle = new SafeSocketHandle(fd, ownsHandle: true);
        if (setCloseOnExec && TAbi.fcntl(fd, TAbi.F_SETFD, TAbi.FD_CLOEXEC) != 0)
        {
            int errno = LastErrno;
            handle.Dispose();
            throw Error("fcntl", errno, "setting FD_CLOEXEC on a new socket");
        }
        return handle;
    }

    public override byte[] Address(string name, bool isAbstract)
    {
        // A filesystem name needs room for its NUL; an abstract name for its leading NUL.
        int max = TAbi.SunPathCapacity - 1;
        int length = Encoding.UTF8.GetByteCount(name);
        if (name.Length == 0 || name.IndexOf('\0') >= 0)
        {
            throw new ArgumentException("An endpoint name must be non-empty and contain no NUL character.", nameof(name));
        }
        if (length > max)
        {
            throw new ArgumentException(
                $"The endpoint name is {length} bytes long; a Unix socket address on {TAbi.Rid} holds at most {max} bytes. Use a shorter path.",
                nameof(name));
        }
        // Filesystem names carry their NUL (as the C idiom SUN_LEN + 1 does); abstract names are exact bytes after a NUL.
        int pathBytes = isAbstract ? 1 + length : length + 1;
        byte[] address = new byte[TAbi.SunPathOffset + pathBytes];
        fixed (byte* scratch = stackalloc byte[TAbi.SockaddrUnSize])
        {
            TAbi.SockaddrUnInit(scratch, (uint)address.Length);
            new ReadOnlySpan<byte>(scratch, TAbi.SunPathOffset).CopyTo(address);
        }
        Encoding.UTF8.GetBytes(name, 0, name.Length, address, TAbi.SunPathOffset + (isAbstract ? 1 : 0));
        return address;
    }

    public override int TryConnect(SafeSocketHandle socket, ReadOnlySpan<byte> address)
    {
        using var scope = new FdScope(socket);
        fixed (byte* a = address)
        {
            while (TAbi.connect(scope.Fd, a, (uint)address.Length) != 0)
            {
                int errno = LastErrno;
                if (errno != TAbi.EINTR)
                {
                    return errno;
                }
            }
            return 0;
        }
    }

    public override void Bind(SafeSocketHandle socket, ReadOnlySpan<byte> address, string display)
    {
        using var scope = new FdScope(socket);
        fixed (byte* a = address)
        {
            if (TAbi.bind(scope.Fd, a, (uint)address.Length) != 0)
            {
                throw LastError("bind", $"binding a Unix socket to '{display}'");
            }
        }
    }

    public override void Listen(SafeSocketHandle socket, int backlog)
    {
        using var scope = new FdScope(socket);
        if (TAbi.listen(scope.Fd, backlog) != 0)
        {
            throw LastError("listen", "listening on a Unix socket");
        }
    }

    public override SafeSocketHandle? TryAccept(SafeSocketHandle listener, out int errno)
    {
        using var scope = new FdScope(listener);
        while (true)
        {
            // The listener is non-blocking, so an empty queue answers EAGAIN instead of parking the thread.
            int fd = TAbi.Has_accept4
                ? TAbi.accept4(scope.Fd, null, null, TAbi.SOCK_CLOEXEC)
                : TAbi.accept(scope.Fd, null, null);
            if (fd >= 0)
            {
                errno = 0;
                return Adopt(fd, setCloseOnExec: !TAbi.Has_accept4);
            }
            errno = LastErrno;
            if (errno != TAbi.EINTR)
            {
                return null;
            }
        }
    }

    public override int Poll(SafeHandle handle, SafeHandle? wake, bool forWrite, int timeoutMilliseconds) =>
        Polling<TAbi>.PollOne(default(NativePoll<TAbi>), this, handle, wake, forWrite, timeoutMilliseconds, "a socket");

    public override int PollMany(ReadOnlySpan<int> fds, ReadOnlySpan<short> events, Span<short> revents, int timeoutMilliseconds) =>
        Polling<TAbi>.PollMany(default(NativePoll<TAbi>), this, fds, events, revents, timeoutMilliseconds, "sockets");

    public override void SetCloseOnExec(SafeHandle handle, bool closeOnExec)
    {
        using var scope = new FdScope(handle);
        if (TAbi.fcntl(scope.Fd, TAbi.F_SETFD, closeOnExec ? TAbi.FD_CLOEXEC : 0) != 0)
        {
            throw LastError("fcntl", closeOnExec ? "setting FD_CLOEXEC" : "clearing FD_CLOEXEC");
        }
    }

    public override void SetNonBlocking(SafeHandle handle)
    {
        using var scope = new FdScope(handle);
        int flags = TAbi.fcntl(scope.Fd, TAbi.F_GETFL, 0);
        if (flags < 0 || TAbi.fcntl(scope.Fd, TAbi.F_SETFL, flags | TAbi.O_NONBLOCK) != 0)
        {
            throw LastError("fcntl", "setting O_NONBLOCK on a socket");
        }
    }

    public override int GetSocketType(SafeHandle handle, out int errno)
    {
        using var scope = new FdScope(handle);
        int type = 0;
        uint length = sizeof(int);
        if (TAbi.getsockopt(scope.Fd, TAbi.SOL_SOCKET, TAbi.SO_TYPE, &type, &length) != 0)
        {
            errno = LastErrno;
            return -1;
        }
        errno = 0;
        return type;
    }

    public override bool? IsSocketFile(string path)
    {
        int type = FileCalls<TAbi>.Instance.TryGetFileType(path, out int errno);
        if (type >= 0)
        {
            return type == TAbi.S_IFSOCK;
        }
        return errno == TAbi.ENOENT ? null : throw Error("lstat", errno, $"inspecting '{path}'");
    }

    public override void SetEndpointMode(string path, System.IO.UnixFileMode mode)
    {
        byte[] p = CString.NulTerminated(path);
        fixed (byte* pp = p)
        {
            while (TAbi.fchmodat(TAbi.AT_FDCWD, pp, (uint)mode, TAbi.AT_SYMLINK_NOFOLLOW) != 0)
            {
                int errno = LastErrno;
                if (errno != TAbi.EINTR)
                {
                    throw Error("fchmodat", errno, $"setting the mode of the socket file '{path}' (AT_SYMLINK_NOFOLLOW: a symlink there is refused, not followed)");
                }
            }
        }
    }

    public override void Unlink(string path)
    {
        byte[] p = CString.NulTerminated(path);
        fixed (byte* pp = p)
        {
            if (TAbi.unlink(pp) != 0 && LastErrno != TAbi.ENOENT)
            {
                throw LastError("unlink", $"removing the socket file '{path}'");
            }
        }
    }

    public override int CloseDescriptor(int fd) => TAbi.close(fd);
}
