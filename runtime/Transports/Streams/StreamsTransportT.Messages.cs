using System;
using System.Runtime.InteropServices;
using FdPasser.Platform;
using FdPasser.Interop;
using FdPasser.Protocol;

namespace FdPasser.Streams;

// Bytes and descriptors: write() makes one M_DATA message, getmsg() reads one (or the front of one, leaving the
// rest at the head of the queue), I_SENDFD queues an M_PASSFP message after the bytes and I_RECVFD takes it.
internal sealed unsafe partial class StreamsTransport<TAbi>
{
    /// <summary>
    /// The seed's send_file: one write() of the bytes, then one I_SENDFD per descriptor. A descriptor is only sent
    /// once all the bytes are out, so the receiver always finds it right after them.
    /// </summary>
    public override nint TrySend(SafeHandle socket, ReadOnlySpan<byte> data, ReadOnlySpan<int> descriptors, out int errno)
    {
        if (descriptors.Length > 1)
        {
            throw new ArgumentException($"A STREAMS pipe passes one descriptor per message; {descriptors.Length} were given.", nameof(descriptors));
        }
        using var scope = new FdScope(socket);
        nint n;
        fixed (byte* p = data)
        {
            while ((n = _sys.write(scope.Fd, p, (nuint)data.Length)) < 0)
            {
                errno = LastErrno;
                if (errno != TAbi.EINTR)
                {
                    return -1;
                }
            }
        }
        if (descriptors.Length > 0)
        {
            if (n != data.Length)
            {
                throw new FdPassingException(
                    $"write() took {n} of {data.Length} bytes on a STREAMS pipe; the descriptor that must follow them was not sent, and the peer will see a short message.");
            }
            SendDescriptor(socket, scope.Fd, descriptors[0]);
        }
        errno = 0;
        return n;
    }

    /// <summary>
    /// I_SENDFD; waits out flow control (EAGAIN) by polling for writability, because the bytes before it are
    /// already on their way and the descriptor must follow them.
    /// </summary>
    private void SendDescriptor(SafeHandle handle, int fd, int passed)
    {
        while (_sys.ioctl(fd, TAbi.I_SENDFD, (void*)(nint)passed) != 0)
        {
            int errno = LastErrno;
            if (errno == TAbi.EAGAIN)
            {
                Poll(handle, forWrite: true, -1);
            }
            else if (errno != TAbi.EINTR)
            {
                throw Error("ioctl(I_SENDFD)", errno, "passing a descriptor after its status bytes (the peer now waits for a descriptor that will not come)");
            }
        }
    }

    /// <summary>
    /// The seed's recv_fh, first half: getmsg() with no control buffer. Where a descriptor rather than data is at
    /// the head (EBADMSG), the descriptor is taken and refused through the room's owner, so it cannot leak or block
    /// the stream, and EBADMSG is returned.
    /// </summary>
    public override nint TryReceive(SafeHandle socket, Span<byte> data, DescriptorRoom room, out ReceiveResult result, out int errno)
    {
        result = default;
        using var scope = new FdScope(socket);
        byte* strbuf = stackalloc byte[TAbi.StrbufSize];
        int flags = 0;
        fixed (byte* p = data)
        {
            TAbi.StrbufInit(strbuf, data.Length, 0, p);
            while (_sys.getmsg(scope.Fd, null, strbuf, &flags) < 0)
            {
                errno = LastErrno;
                if (errno == TAbi.EBADMSG)
                {
                    DiscardPassedDescriptor(scope.Fd, room.Owner ?? Refusals);
                    return -1;
                }
                if (errno != TAbi.EINTR)
                {
                    return -1;
                }
                flags = 0;
            }
        }
        int length = TAbi.StrbufLength(strbuf);
        if (length < 0)
        {
            // A message with a control part and no data: nothing this protocol sends.
            errno = TAbi.EBADMSG;
            return -1;
        }
        result = new ReceiveResult(length, 0, ControlProblem.None, 0, 0, 0);
        errno = 0;
        return length;
    }

    private ReceivedDescriptors? _refusals;

    /// <summary>The owner that refuses a stray descriptor met by a receive with no room (a wake-up pair's drain).</summary>
    private ReceivedDescriptors Refusals => _refusals ??= new ReceivedDescriptors(this, 0);

    private void DiscardPassedDescriptor(int fd, ReceivedDescriptors owner)
    {
        byte* received = stackalloc byte[TAbi.StrrecvfdSize];
        if (_sys.ioctl(fd, TAbi.I_RECVFD, received) == 0)
        {
            TAbi.StrrecvfdRead(received, out int stray, out _, out _);
            owner.Refuse(stray);
        }
        Marshal.SetLastPInvokeError(TAbi.EBADMSG);
    }

    /// <summary>The seed's recv_fh, second half: I_RECVFD for the descriptor that follows status 0.</summary>
    public override int TryReceiveFollowingDescriptor(SafeHandle handle, ReceivedDescriptors into, out int errno)
    {
        using var scope = new FdScope(handle);
        byte* received = stackalloc byte[TAbi.StrrecvfdSize];
        while (_sys.ioctl(scope.Fd, TAbi.I_RECVFD, received) != 0)
        {
            errno = LastErrno;
            if (errno == TAbi.EBADMSG || errno == TAbi.ENXIO)
            {
                // Data is next, not a descriptor; or the peer hung up with nothing left to read.
                return -2;
            }
            if (errno != TAbi.EINTR)
            {
                return -1;
            }
        }
        TAbi.StrrecvfdRead(received, out int fd, out _, out _);
        if (_sys.fcntl(fd, TAbi.F_SETFD, TAbi.FD_CLOEXEC) != 0)
        {
            errno = LastErrno;
            into.Refuse(fd);
            throw Error("fcntl", errno, "setting FD_CLOEXEC on a received descriptor (it was closed)");
        }
        into.Add(fd);
        errno = 0;
        return 0;
    }
}
