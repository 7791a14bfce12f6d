using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Platform;

namespace FdPasser.Streams;

/// <summary>
/// The SysV path over <see cref="IStreamsSyscalls"/>: STREAMS pipes from <c>pipe()</c>, <c>connld</c> endpoints
/// (<c>fattach</c>), bytes by <c>write</c>/<c>getmsg</c> and descriptors by <c>ioctl(I_SENDFD)</c>/<c>ioctl(I_RECVFD)</c>.
/// Its descriptors are O_NONBLOCK and close-on-exec, so every wait is a poll() the caller can time out.
/// </summary>
internal sealed unsafe partial class StreamsTransport : FdTransport
{
    private readonly IStreamsSyscalls _sys;

    public StreamsTransport(IStreamsSyscalls sys)
    {
        _sys = sys;
    }

    public IStreamsSyscalls Syscalls => _sys;

    public override FdTransportKind Kind => FdTransportKind.Streams;

    public override string Rid => _sys.Rid;

    /// <summary>One: each M_PASSFP message carries one descriptor.</summary>
    public override int MaxDescriptorsPerMessage => 1;

    public override int EAGAIN => _sys.EAGAIN;

    public override int EINTR => _sys.EINTR;

    public override string SendCall => "write";

    public override string ReceiveCall => "getmsg";

    public override string AcceptCall => "ioctl(I_RECVFD)";

    public override bool DescriptorFollowsStatus => true;

    public override bool UsesSocketEngine => false;

    public override string? ErrnoName(int errno) => _sys.ErrnoName(errno);

    private static int LastErrno => Marshal.GetLastPInvokeError();

    public override int Poll(SafeHandle handle, SafeHandle? wake, bool forWrite, int timeoutMilliseconds)
    {
        using var scope = new FdScope(handle);
        using var wakeScope = wake is null ? default : new FdScope(wake);
        int size = _sys.PollfdSize;
        byte* pfd = stackalloc byte[2 * size];
        nuint count = wake is null ? 1u : 2u;
        long deadline = timeoutMilliseconds < 0 ? long.MaxValue : Environment.TickCount64 + timeoutMilliseconds;
        while (true)
        {
            _sys.PollfdInit(pfd, scope.Fd, (short)(forWrite ? _sys.POLLOUT : _sys.POLLIN));
            if (wake is not null)
            {
                _sys.PollfdInit(pfd + size, wakeScope.Fd, (short)_sys.POLLIN);
            }
            int wait = timeoutMilliseconds < 0 ? -1 : (int)Math.Max(0, deadline - Environment.TickCount64);
            int n = _sys.poll(pfd, count, wait);
            if (n > 0)
            {
                return wake is not null && _sys.PollfdRevents(pfd + size) != 0 ? -1 : 1;
            }
            if (n == 0)
            {
                return 0;
            }
            int errno = LastErrno;
            if (errno != _sys.EINTR)
            {
                throw Error("poll", errno, "waiting for a STREAMS pipe to become " + (forWrite ? "writable" : "readable"));
            }
        }
    }

    /// <summary>
    /// STREAMS descriptors are not sockets, so the runtime's socket engine cannot wait for them: this transport's
    /// one readiness poller does, for every pending wait at once.
    /// </summary>
    public override ValueTask WaitAsync(SafeHandle handle, bool forWrite, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Poll(handle, forWrite, 0))
        {
            return default;
        }
        ReadinessPoller poller = Volatile.Read(ref _poller) ?? InitializePoller();
        return new ValueTask(forWrite ? poller.WaitWritableAsync(handle, cancellationToken) : poller.WaitReadableAsync(handle, cancellationToken));
    }

    private ReadinessPoller? _poller;

    public override void AbortWaits(SafeHandle handle) => Volatile.Read(ref _poller)?.Abort(handle);

    private ReadinessPoller InitializePoller()
    {
        var created = new ReadinessPoller(this);
        return Interlocked.CompareExchange(ref _poller, created, null) ?? created;
    }

    public override short POLLIN => (short)_sys.POLLIN;

    public override short POLLOUT => (short)_sys.POLLOUT;

    public override int PollMany(ReadOnlySpan<int> fds, ReadOnlySpan<short> events, Span<short> revents, int timeoutMilliseconds)
    {
        int size = _sys.PollfdSize;
        byte[] buffer = new byte[size * fds.Length];
        fixed (byte* p = buffer)
        {
            for (int i = 0; i < fds.Length; i++)
            {
                _sys.PollfdInit(p + (i * size), fds[i], events[i]);
            }
            int n = _sys.poll(p, (nuint)fds.Length, timeoutMilliseconds);
            if (n < 0)
            {
                int errno = LastErrno;
                if (errno == _sys.EINTR)
                {
                    return 0;
                }
                throw Error("poll", errno, "waiting for STREAMS pipes to become ready");
            }
            for (int i = 0; i < fds.Length; i++)
            {
                revents[i] = _sys.PollfdRevents(p + (i * size));
            }
            return n;
        }
    }

    public override void CreateWakePair(out SafeHandle reader, out SafeHandle writer)
    {
        CreatePair(out StreamsHandle first, out StreamsHandle second);
        reader = first;
        writer = second;
    }

    public override PeerCredentials GetPeerCredentials(SafeHandle socket)
    {
        if (socket is StreamsHandle { Peer: { } peer })
        {
            return peer;
        }
        throw new NotSupportedException(
            "A STREAMS pipe reports its peer's credentials only where a listener accepted it (I_RECVFD's strrecvfd carries the connecting process's uid and gid); this end was created by pipe() or opened from a path.");
    }

    public override void SetCloseOnExec(SafeHandle handle, bool closeOnExec)
    {
        using var scope = new FdScope(handle);
        if (_sys.fcntl(scope.Fd, _sys.F_SETFD, closeOnExec ? _sys.FD_CLOEXEC : 0) != 0)
        {
            throw LastError("fcntl", closeOnExec ? "setting FD_CLOEXEC" : "clearing FD_CLOEXEC");
        }
    }

    public override int CloseDescriptor(int fd) => _sys.close(fd);

    /// <summary>The seed's serv_accept: I_RECVFD on the server end yields the connection and the client's uid/gid.</summary>
    public override SafeHandle? TryAcceptHandle(SafeHandle listener, out int errno)
    {
        using var scope = new FdScope(listener);
        byte* received = stackalloc byte[_sys.StrrecvfdSize];
        while (_sys.ioctl(scope.Fd, _sys.I_RECVFD, received) != 0)
        {
            errno = LastErrno;
            if (errno != _sys.EINTR)
            {
                return null;
            }
        }
        errno = 0;
        _sys.StrrecvfdRead(received, out int fd, out uint uid, out uint gid);
        return Adopt(fd, new PeerCredentials(-1, uid, gid), "accepting a connection");
    }

    /// <summary>Owns a fresh descriptor: marks it close-on-exec and O_NONBLOCK, closing it if either fails.</summary>
    internal StreamsHandle Adopt(int fd, PeerCredentials? peer, string context)
    {
        var handle = new StreamsHandle(_sys, fd, peer);
        if (_sys.fcntl(fd, _sys.F_SETFD, _sys.FD_CLOEXEC) != 0)
        {
            int errno = LastErrno;
            handle.Dispose();
            throw Error("fcntl", errno, $"setting FD_CLOEXEC on a STREAMS pipe while {context}");
        }
        int flags = _sys.fcntl(fd, _sys.F_GETFL, 0);
        if (flags < 0 || _sys.fcntl(fd, _sys.F_SETFL, flags | _sys.O_NONBLOCK) != 0)
        {
            int errno = LastErrno;
            handle.Dispose();
            throw Error("fcntl", errno, $"setting O_NONBLOCK on a STREAMS pipe while {context}");
        }
        return handle;
    }
}
