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

    public override string Rid => TAbi.Rid;

    public override int MaxDescriptorsPerMessage => TAbi.MaxFdsPerMessage;

    public override int MaxDescriptorsReceived => TAbi.MaxFdsReceived;

    public override int EAGAIN => TAbi.EAGAIN;

    public override int EINTR => TAbi.EINTR;

    public override int ECONNREFUSED => TAbi.ECONNREFUSED;

    public override int ECONNRESET => TAbi.ECONNRESET;

    public override int ENOENT => TAbi.ENOENT;

    public override int O_ACCMODE => TAbi.O_ACCMODE;

    public override int O_RDONLY => TAbi.O_RDONLY;

    public override int O_WRONLY => TAbi.O_WRONLY;

    public override int O_RDWR => TAbi.O_RDWR;

    public override int O_APPEND => TAbi.O_APPEND;

    public override int SOCK_STREAM => TAbi.SOCK_STREAM;

    public override int SOMAXCONN => TAbi.SOMAXCONN;

    public override bool SupportsAbstractNames => TAbi.AbstractSocketNames;

    public override string? ErrnoName(int errno) => TAbi.ErrnoName(errno);

    private static int LastErrno => Marshal.GetLastPInvokeError();

    public override void CreatePair(out SafeSocketHandle first, out SafeSocketHandle second)
    {
        int* fds = stackalloc int[2];
        int type = TAbi.SOCK_STREAM | (TAbi.Has_SOCK_CLOEXEC ? TAbi.SOCK_CLOEXEC : 0);
        if (TAbi.socketpair(TAbi.AF_UNIX, type, 0, fds) != 0)
        {
            throw LastError("socketpair", "creating a connected pair of Unix stream sockets");
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

    public override int Poll(SafeHandle handle, SafeHandle? wake, bool forWrite, int timeoutMilliseconds)
    {
        using var scope = new FdScope(handle);
        using var wakeScope = wake is null ? default : new FdScope(wake);
        int size = TAbi.PollfdSize;
        byte* pfd = stackalloc byte[2 * size];
        nuint count = wake is null ? 1u : 2u;
        long deadline = timeoutMilliseconds < 0 ? long.MaxValue : Environment.TickCount64 + timeoutMilliseconds;
        while (true)
        {
            TAbi.PollfdInit(pfd, scope.Fd, (short)(forWrite ? TAbi.POLLOUT : TAbi.POLLIN));
            if (wake is not null)
            {
                TAbi.PollfdInit(pfd + size, wakeScope.Fd, (short)TAbi.POLLIN);
            }
            int wait = timeoutMilliseconds < 0 ? -1 : (int)Math.Max(0, deadline - Environment.TickCount64);
            int n = TAbi.poll(pfd, count, wait);
            if (n > 0)
            {
                return wake is not null && TAbi.PollfdRevents(pfd + size) != 0 ? -1 : 1;
            }
            if (n == 0)
            {
                return 0;
            }
            int errno = LastErrno;
            if (errno != TAbi.EINTR)
            {
                throw Error("poll", errno, "waiting for a socket to become " + (forWrite ? "writable" : "readable"));
            }
        }
    }

    public override short POLLIN => (short)TAbi.POLLIN;

    public override short POLLOUT => (short)TAbi.POLLOUT;

    public override int PollMany(ReadOnlySpan<int> fds, ReadOnlySpan<short> events, Span<short> revents, int timeoutMilliseconds)
    {
        int size = TAbi.PollfdSize;
        byte[] buffer = new byte[size * fds.Length];
        fixed (byte* p = buffer)
        {
            for (int i = 0; i < fds.Length; i++)
            {
                TAbi.PollfdInit(p + (i * size), fds[i], events[i]);
            }
            int n = TAbi.poll(p, (nuint)fds.Length, timeoutMilliseconds);
            if (n < 0)
            {
                int errno = LastErrno;
                if (errno == TAbi.EINTR)
                {
                    return 0;
                }
                throw Error("poll", errno, "waiting for sockets to become ready");
            }
            for (int i = 0; i < fds.Length; i++)
            {
                revents[i] = TAbi.PollfdRevents(p + (i * size));
            }
            return n;
        }
    }

    public override int GetStatusFlags(SafeHandle handle)
    {
        using var scope = new FdScope(handle);
        int flags = TAbi.fcntl(scope.Fd, TAbi.F_GETFL, 0);
        if (flags < 0)
        {
            throw LastError("fcntl", "reading a descriptor's open flags (F_GETFL)");
        }
        return flags;
    }

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
        byte* st = stackalloc byte[TAbi.StatSize];
        return Lstat(path, st) ? (TAbi.StatMode(st) & (uint)TAbi.S_IFMT) == (uint)TAbi.S_IFSOCK : null;
    }

    /// <summary>lstat() into <paramref name="st"/>; false where nothing is at the path.</summary>
    private bool Lstat(string path, byte* st)
    {
        byte[] p = NulTerminated(path);
        fixed (byte* pp = p)
        {
            if (TAbi.lstat(pp, st) == 0)
            {
                return true;
            }
            int errno = LastErrno;
            if (errno == TAbi.ENOENT)
            {
                return false;
            }
            throw Error("lstat", errno, $"inspecting '{path}'");
        }
    }

    public override void SetEndpointMode(string path, System.IO.UnixFileMode mode)
    {
        byte[] p = NulTerminated(path);
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

    public override (ulong Device, ulong Inode)? TryGetFileIdentity(string path)
    {
        byte* st = stackalloc byte[TAbi.StatSize];
        return Lstat(path, st) ? (TAbi.StatDevice(st), TAbi.StatInode(st)) : null;
    }

    public override void Unlink(string path)
    {
        byte[] p = NulTerminated(path);
        fixed (byte* pp = p)
        {
            if (TAbi.unlink(pp) != 0 && LastErrno != TAbi.ENOENT)
            {
                throw LastError("unlink", $"removing the socket file '{path}'");
            }
        }
    }

    public override int CloseDescriptor(int fd) => TAbi.close(fd);

    private static byte[] NulTerminated(string s)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
        return bytes;
    }
}
