using System.Runtime.InteropServices;
using FdPasser.Platform;
using FdPasser.Protocol;

namespace FdPasser.Streams;

/// <summary>
/// The SysV path: STREAMS pipes from <c>pipe()</c>, <c>connld</c> endpoints (<c>fattach</c>), bytes by
/// <c>write</c>/<c>getmsg</c> and descriptors by <c>ioctl(I_SENDFD)</c>/<c>ioctl(I_RECVFD)</c>. Written once
/// over the target in <see cref="StreamsTransport{TAbi}"/>; this is what channels and listeners hold.
/// </summary>
internal abstract class StreamsTransport : FdTransport
{
    /// <summary>spipe: pipe(), which is a bidirectional STREAMS pipe on SVR4.</summary>
    public abstract void CreatePair(out StreamsHandle first, out StreamsHandle second);

    /// <summary>endp_connect: open() the path (connld gives this open a pipe of its own) and check isastream().</summary>
    public abstract StreamsHandle Connect(string path);

    /// <summary>Adopts an inherited descriptor that must be a STREAMS pipe end.</summary>
    public abstract StreamsHandle AdoptExisting(int fd);

    /// <summary>endp_create: a connld endpoint attached at <paramref name="path"/>; the returned end receives a new pipe per connecting open().</summary>
    public abstract StreamsHandle Listen(string path, uint mode, bool replaceStale);

    /// <summary>
    /// Takes the descriptor that follows a success status (M_PASSFP): the descriptor (close-on-exec), -1 with errno
    /// (EAGAIN: not there yet), or -2 where something other than a descriptor is next or the peer hung up.
    /// </summary>
    public abstract int TryReceiveFollowingDescriptor(SafeHandle handle, ReceivedDescriptors into, out int errno);
}
