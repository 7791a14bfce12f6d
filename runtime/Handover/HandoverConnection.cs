using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Platform;

namespace FdPasser.Handover;

/// <summary>
/// One end of a handover pair: whole messages over a SOCK_SEQPACKET socket, through <see cref="FdChannel"/>'s raw
/// receive, so every descriptor that arrives is owned by an <see cref="FdMessage"/> until taken. Every wait is
/// bounded by <see cref="HandoverLimits.Timeout"/>; every failure becomes a <see cref="HandoverAbortedException"/>.
/// </summary>
internal sealed class HandoverConnection : IDisposable
{
    private readonly FdChannel _channel;

    private HandoverConnection(FdChannel channel, HandoverLimits limits)
    {
        _channel = channel;
        Limits = limits;
    }

    public HandoverLimits Limits { get; }

    /// <summary>Takes ownership of a connected SOCK_SEQPACKET socket.</summary>
    public static HandoverConnection Adopt(SafeSocketHandle socket, HandoverLimits limits) =>
        new(FdChannel.FromAccepted(Target.Current.Sockets, socket), limits);

    public static (HandoverConnection First, HandoverConnection Second) CreatePair(HandoverLimits limits)
    {
        Target.Current.Sockets.CreateSeqPacketPair(out SafeSocketHandle a, out SafeSocketHandle b);
        return (Adopt(a, limits), Adopt(b, limits));
    }

    /// <summary>Sends one message with <paramref name="handles"/> attached (borrowed: referenced during the send only).</summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> message, ReadOnlyMemory<SafeHandle> handles, string what, CancellationToken cancellationToken)
    {
        int[] fds = handles.Length == 0 ? [] : new int[handles.Length];
        int referenced = 0;
        using var timeout = Timeout(cancellationToken);
        try
        {
            for (; referenced < handles.Length; referenced++)
            {
                bool added = false;
                handles.Span[referenced].DangerousAddRef(ref added);
                fds[referenced] = (int)handles.Span[referenced].DangerousGetHandle();
            }
            await _channel.SendRawAsync(message, fds, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HandoverAbortedException(HandoverAbortReason.Timeout, $"The peer did not take {what} within {Limits.Timeout}.");
        }
        catch (FdPassingException e)
        {
            throw new HandoverAbortedException(HandoverAbortReason.PeerClosed, $"Sending {what} failed: {e.Message}", e);
        }
        catch (ObjectDisposedException e)
        {
            throw new HandoverAbortedException(HandoverAbortReason.PeerClosed, $"Sending {what} failed: the handover was closed.", e);
        }
        finally
        {
            for (int i = 0; i < referenced; i++)
            {
                handles.Span[i].DangerousRelease();
            }
        }
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> message, string what, CancellationToken cancellationToken) =>
        SendAsync(message, ReadOnlyMemory<SafeHandle>.Empty, what, cancellationToken);

    /// <summary>
    /// Receives one message of at most <paramref name="maxDescriptors"/> descriptors; the caller owns it. A peer that
    /// closed, sent ABORT, sent a message that is no handover message, or did not answer in time ends the
    /// handover: the exception says which.
    /// </summary>
    public async ValueTask<(HandoverMessageType Type, FdMessage Message)> ReceiveAsync(int maxDescriptors, string waitingFor, CancellationToken cancellationToken)
    {
        FdMessage message;
        using (var timeout = Timeout(cancellationToken))
        {
            try
            {
                message = await _channel.ReceiveRawAsync(HandoverWire.MaxMessageBytes + 1, maxDescriptors, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new HandoverAbortedException(HandoverAbortReason.Timeout, $"The peer sent no {waitingFor} within {Limits.Timeout}.");
            }
            catch (FdProtocolException e)
            {
                throw new HandoverAbortedException(HandoverAbortReason.ProtocolError, $"Receiving {waitingFor} failed: {e.Message}", e);
            }
            catch (FdPassingException e)
            {
                throw new HandoverAbortedException(HandoverAbortReason.PeerClosed, $"Receiving {waitingFor} failed: {e.Message}", e);
            }
            catch (ObjectDisposedException e)
            {
                throw new HandoverAbortedException(HandoverAbortReason.PeerClosed, $"Receiving {waitingFor} failed: the handover was closed.", e);
            }
        }
        try
        {
            ReadOnlySpan<byte> bytes = message.Payload.Span;
            if (bytes.IsEmpty)
            {
                throw new HandoverAbortedException(HandoverAbortReason.PeerClosed, $"The peer closed the connection where {waitingFor} was due.");
            }
            if (HandoverWire.TryReadHeader(bytes, out HandoverMessageType type) is { } error)
            {
                throw new HandoverAbortedException(HandoverAbortReason.ProtocolError, $"The peer broke the handover protocol where {waitingFor} was due: {error}.");
            }
            if (type == HandoverMessageType.Abort)
            {
                throw PeerAborted(bytes.Slice(HandoverWire.HeaderSize), waitingFor);
            }
            return (type, message);
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }

    private static HandoverAbortedException PeerAborted(ReadOnlySpan<byte> body, string waitingFor)
    {
        if (HandoverWire.TryReadAbort(body, out HandoverAbortReason reason, out string text) is { } error)
        {
            return new HandoverAbortedException(HandoverAbortReason.ProtocolError, $"The peer sent a malformed ABORT where {waitingFor} was due: {error}.");
        }
        return new HandoverAbortedException(
            reason is HandoverAbortReason.Aborted or HandoverAbortReason.PeerClosed ? HandoverAbortReason.Refused : reason,
            $"The peer aborted the handover where {waitingFor} was due ({reason}){(text.Length > 0 ? ": " + text : "")}.");
    }

    /// <summary>Receives one message that must be of <paramref name="expected"/> type and carry no descriptor; returns its body.</summary>
    public async ValueTask<byte[]> ReceiveBodyAsync(HandoverMessageType expected, CancellationToken cancellationToken)
    {
        string name = expected.ToString().ToUpperInvariant();
        var (type, message) = await ReceiveAsync(0, name, cancellationToken).ConfigureAwait(false);
        using (message)
        {
            if (type != expected)
            {
                throw new HandoverAbortedException(HandoverAbortReason.ProtocolError, $"The peer sent message type {(byte)type} where {name} was due.");
            }
            return message.Payload.Span.Slice(HandoverWire.HeaderSize).ToArray();
        }
    }

    /// <summary>Tells the peer why this side gives up, if its socket has room at once, and closes the connection.</summary>
    public void Abort(HandoverAbortReason reason, string text)
    {
        try
        {
            Span<byte> buffer = stackalloc byte[8 + HandoverWire.MaxAbortText];
            int length = HandoverWire.WriteAbort(buffer, reason, text);
            // Never waits: the peer may be the reason for giving up.
            _channel.Timeout = TimeSpan.Zero;
            _channel.SendRaw(buffer.Slice(0, length), ReadOnlySpan<int>.Empty);
        }
        catch (Exception e) when (e is FdPassingException or TimeoutException or ObjectDisposedException or InvalidOperationException)
        {
            // The peer is gone or not reading: closing below tells it as well.
        }
        Dispose();
    }

    private CancellationTokenSource Timeout(CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (Limits.Timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            source.CancelAfter(Limits.Timeout);
        }
        return source;
    }

    public void Dispose() => _channel.Dispose();
}
