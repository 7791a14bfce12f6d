using System;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Platform;
using FdPasser.Protocol;

namespace FdPasser.Streams;

/// <summary>
/// A STREAMS pipe end (illumos): bytes by write/getmsg, and each descriptor as an M_PASSFP message of its own
/// (I_SENDFD/I_RECVFD), so the classic protocol's descriptor follows its status bytes instead of riding with them,
/// and the framed and raw protocols, which attach descriptors to bytes, are refused. Its waits are its transport's
/// poll(), sync and async (the runtime's socket engine knows nothing of STREAMS).
/// </summary>
internal sealed class StreamsConnection : Connection
{
    private readonly StreamsTransport _streams;

    public StreamsConnection(StreamsTransport transport, StreamsHandle handle)
        : base(transport, handle)
    {
        _streams = transport;
    }

    public override void RequireAttachedDescriptors(string mode) => throw new NotSupportedException(
        $"{mode} is not available over STREAMS: a STREAMS pipe carries each descriptor as a message of its own (I_SENDFD), not attached to bytes. Use the classic protocol (SendDescriptor/ReceiveDescriptor), or a socket.");

    protected override async ValueTask<Exception?> WaitAsync(bool forWrite, CancellationToken cancellationToken)
    {
        await _streams.WaitAsync(Handle, forWrite, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// After status 0, the seed's <c>ioctl(I_RECVFD)</c>: waits for the descriptor within the timeout. Data in its
    /// place (or a hang-up) leaves the codec without one, which its Finish reports as a protocol error.
    /// </summary>
    protected override void ReceiveFollowingDescriptor(MessageCodec codec)
    {
        if (!codec.NeedsFollowingDescriptor)
        {
            return;
        }
        while (!TryTakeFollowingDescriptor(codec))
        {
            WaitOrThrow(forWrite: false, "waiting for the descriptor that follows the peer's success status");
        }
    }

    protected override async ValueTask ReceiveFollowingDescriptorAsync(MessageCodec codec, CancellationToken cancellationToken)
    {
        if (!codec.NeedsFollowingDescriptor)
        {
            return;
        }
        while (!TryTakeFollowingDescriptor(codec))
        {
            await _streams.WaitAsync(Handle, forWrite: false, cancellationToken).ConfigureAwait(false);
            ThrowIfUnusable();
        }
    }

    /// <summary>One I_RECVFD: true once the message is over (with a descriptor or without), false where none is there yet.</summary>
    private bool TryTakeFollowingDescriptor(MessageCodec codec)
    {
        if (_streams.TryReceiveFollowingDescriptor(Handle, codec.Descriptors, out int errno) != -1)
        {
            codec.FollowingDescriptorArrived();
            return true;
        }
        if (errno != Transport.Constants.EAGAIN)
        {
            // The status was read: the message is over whichever way this ends.
            codec.FollowingDescriptorArrived();
            throw Transport.Error("ioctl(I_RECVFD)", errno, "receiving the descriptor that follows a success status");
        }
        return false;
    }
}
