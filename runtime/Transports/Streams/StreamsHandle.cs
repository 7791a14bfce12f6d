using System;
using System.Runtime.InteropServices;

namespace FdPasser.Streams;

/// <summary>
/// A STREAMS pipe end the transport owns. It closes through the same seam that opened it, and remembers the
/// credentials <c>I_RECVFD</c> reported where it came from a listener.
/// </summary>
internal sealed class StreamsHandle : SafeHandle
{
    private readonly IStreamsCalls _sys;

    public StreamsHandle(IStreamsCalls sys, int fd, PeerCredentials? peer = null)
        : base(new IntPtr(-1), ownsHandle: true)
    {
        _sys = sys;
        Peer = peer;
        SetHandle(new IntPtr(fd));
    }

    /// <summary>The connecting process's uid and gid (from strrecvfd) for an accepted connection; otherwise null.</summary>
    public PeerCredentials? Peer { get; }

    public override bool IsInvalid => handle.ToInt64() < 0;

    protected override bool ReleaseHandle() => _sys.close((int)handle) == 0;
}
