using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Platform;
using FdPasser.Interop;

namespace FdPasser.Streams;

/// <summary>
/// <see cref="StreamsTransport"/> over one target: its constants and struct layouts from <typeparamref name="TAbi"/>,
/// its calls through <see cref="IStreamsCalls"/> (the generated stubs, or a test's simulation). Its descriptors are
/// O_NONBLOCK and close-on-exec, so every wait is a poll() the caller can time out.
/// </summary>
internal sealed unsafe partial class StreamsTransport<TAbi> : StreamsTransport
    where TAbi : struct, IPlatformAbi
{
    private readonly IStreamsCalls _sys;

    public StreamsTransport(IStreamsCalls sys)
    {
        _sys = sys;
    }

    public override FdTransportKind Kind => FdTransportKind.Streams;

    /// <summary>One: each M_PASSFP message carries one descriptor.</summary>
    public override int MaxDescriptorsPerMessage => 1;

    public override PlatformConstants Constants => TAbi.Constants;

    public override string SendCall => "write";

    public override string ReceiveCall => "getmsg";

    public override string AcceptCall => "ioctl(I_RECVFD)";

    public override string? ErrnoName(int errno) => TAbi.ErrnoName(errno);

    private static int LastErrno => Marshal.GetLastPInvokeError();

    public override int Poll(SafeHandle handle, SafeHandle? wake, bool forWrite, int timeoutMilliseconds) =>
        Polling<TAbi>.PollOne(_sys, this, handle, wake, forWrite, timeoutMilliseconds, "a STREAMS pipe");

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

    public override int PollMany(ReadOnlySpan<int> fds, ReadOnlySpan<short> events, Span<short> revents, int timeoutMilliseconds) =>
        Polling<TAbi>.PollMany(_sys, this, fds, events, revents, timeoutMilliseconds, "STREAMS pipes");

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
        if (_sys.fcntl(scope.Fd, TAbi.F_SETFD, closeOnExec ? TAbi.FD_CLOEXEC : 0) != 0)
        {
            throw LastError("fcntl", closeOnExec ? "setting FD_CLOEXEC" : "clearing FD_CLOEXEC");
        }
    }

    public override int CloseDescriptor(int fd) => _sys.close(fd);

    /// <summary>The seed's serv_accept: I_RECVFD on the server end yields the connection and the client's uid/gid.</summary>
    public override SafeHandle? TryAcceptHandle(SafeHandle listener, out int errno)
    {
        using var scope = new FdScope(listener);
        byte* received = stackalloc byte[TAbi.StrrecvfdSize];
        while (_sys.ioctl(scope.Fd, TAbi.I_RECVFD, received) != 0)
        {
            errno = LastErrno;
            if (errno != TAbi.EINTR)
            {
                return null;
            }
        }
        errno = 0;
        TAbi.StrrecvfdRead(received, out int fd, out uint uid, out uint gid);
        return Adopt(fd, new PeerCredentials(-1, uid, gid), "accepting a connection");
    }

    /// <summary>Owns a fresh descriptor: marks it close-on-exec and O_NONBLOCK, closing it if either fails.</summary>
    internal StreamsHandle Adopt(int fd, PeerCredentials? peer, string context)
    {
        var handle = new StreamsHandle(_sys, fd, peer);
        if (_sys.fcntl(fd, TAbi.F_SETFD, TAbi.FD_CLOEXEC) != 0)
        {
            int errno = LastErrno;
            handle.Dispose();
            throw Error("fcntl", errno, $"setting FD_CLOEXEC on a STREAMS pipe while {context}");
        }
        int flags = _sys.fcntl(fd, TAbi.F_GETFL, 0);
        if (flags < 0 || _sys.fcntl(fd, TAbi.F_SETFL, flags | TAbi.O_NONBLOCK) != 0)
        {
            int errno = LastErrno;
            handle.Dispose();
            throw Error("fcntl", errno, $"setting O_NONBLOCK on a STREAMS pipe while {context}");
        }
        return handle;
    }
}
