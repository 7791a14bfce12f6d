using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.Handover;

/// <summary>
/// The new generation's end of a handover with one predecessor: receives its offer (docs/handover.md). Every
/// count and size the sender announces is checked against <see cref="HandoverLimits"/> before anything is allocated
/// or kept; on any failure every descriptor received so far is closed.
/// </summary>
public sealed class HandoverReceiver : IDisposable
{
    private readonly HandoverConnection _connection;
    private int _received;

    internal HandoverReceiver(HandoverConnection connection, uint peerGeneration = 0)
    {
        _connection = connection;
        PeerGeneration = peerGeneration;
    }

    /// <summary>The predecessor's generation number as the broker named it; 0 where unknown.</summary>
    public uint PeerGeneration { get; }

    /// <summary>Negotiates the version and receives the whole offer. Call once.</summary>
    /// <exception cref="HandoverAbortedException">
    /// The sender died, timed out, aborted, broke the protocol or exceeded a limit; nothing received stays open.
    /// </exception>
    public async ValueTask<HandoverOffer> ReceiveOfferAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _received, 1) != 0)
        {
            throw new InvalidOperationException("A handover receiver receives one offer.");
        }
        var messages = new List<FdMessage>();
        try
        {
            await HelloAsync(cancellationToken).ConfigureAwait(false);
            byte[] begin = await _connection.ReceiveBodyAsync(HandoverMessageType.Begin, cancellationToken).ConfigureAwait(false);
            if (HandoverWire.TryReadBegin(begin, _connection.Limits, out int items, out int descriptors, out long stateBytes) is { } refused)
            {
                throw new HandoverAbortedException(HandoverAbortReason.LimitExceeded, $"The offer was refused: {refused}.");
            }
            var assembler = new OfferAssembler(_connection.Limits, items, descriptors, stateBytes);
            while (!assembler.IsComplete)
            {
                var (type, message) = await _connection.ReceiveAsync(assembler.DescriptorsLeft, "the offer's items", cancellationToken).ConfigureAwait(false);
                bool keep = false;
                try
                {
                    ReadOnlySpan<byte> body = message.Payload.Span.Slice(HandoverWire.HeaderSize);
                    if (assembler.Add(type, body, message.DescriptorCount, out bool limit) is { } error)
                    {
                        throw new HandoverAbortedException(
                            limit ? HandoverAbortReason.LimitExceeded : HandoverAbortReason.ProtocolError,
                            limit ? $"The offer was refused: {error}." : $"The sender broke the handover protocol: {error}.");
                    }
                    if (type == HandoverMessageType.Items)
                    {
                        messages.Add(message);
                        keep = true;
                    }
                }
                finally
                {
                    if (!keep)
                    {
                        message.Dispose();
                    }
                }
            }
            var offer = new HandoverOffer(_connection, assembler.Entries, messages);
            messages = null;
            return offer;
        }
        catch (HandoverAbortedException e)
        {
            _connection.Abort(e.Reason, e.Message);
            throw;
        }
        catch
        {
            _connection.Abort(HandoverAbortReason.Aborted, "the receiver gave up");
            throw;
        }
        finally
        {
            if (messages is not null)
            {
                foreach (FdMessage m in messages)
                {
                    m.Dispose();
                }
            }
        }
    }

    private async ValueTask HelloAsync(CancellationToken cancellationToken)
    {
        byte[] body = await _connection.ReceiveBodyAsync(HandoverMessageType.Hello, cancellationToken).ConfigureAwait(false);
        if (HandoverWire.TryReadHello(body, HandoverWire.RoleSender, out ushort version) is { } error)
        {
            throw new HandoverAbortedException(HandoverAbortReason.ProtocolError, $"The sender's HELLO is malformed: {error}.");
        }
        byte[] hello = new byte[HandoverWire.HeaderSize + 2 + (2 * HandoverWire.MaxHelloVersions)];
        int length = HandoverWire.WriteHello(hello, HandoverWire.RoleReceiver, HandoverWire.SupportedVersions);
        await _connection.SendAsync(hello.AsMemory(0, length), "HELLO", cancellationToken).ConfigureAwait(false);
        if (version == 0)
        {
            throw new HandoverAbortedException(HandoverAbortReason.VersionMismatch, "The sender speaks no handover protocol version this side speaks.");
        }
    }

    /// <summary>Closes the connection; the sender sees the handover aborted.</summary>
    public void Dispose() => _connection.Dispose();
}
