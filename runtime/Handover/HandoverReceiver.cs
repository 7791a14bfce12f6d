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
    private ushort _version;
    private HandoverOffer? _last;
    private long _itemsSoFar;
    private long _descriptorsSoFar;
    private bool _between;

    internal HandoverReceiver(HandoverConnection connection, uint peerGeneration = 0)
    {
        _connection = connection;
        PeerGeneration = peerGeneration;
    }

    /// <summary>The predecessor's generation number as the broker named it; 0 where unknown.</summary>
    public uint PeerGeneration { get; }

    /// <summary>Negotiates the version and receives the (first) offer. Call once; for later offers, <see cref="ReceiveNextOfferAsync"/>.</summary>
    /// <exception cref="HandoverAbortedException">
    /// The sender died, timed out, aborted, broke the protocol or exceeded a limit; nothing received stays open.
    /// </exception>
    public async ValueTask<HandoverOffer> ReceiveOfferAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _received, 1) != 0)
        {
            throw new InvalidOperationException("A handover receiver receives its first offer once; later ones come from ReceiveNextOfferAsync.");
        }
        return await ReceiveAsync(first: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The next offer of this sender: the first (as <see cref="ReceiveOfferAsync"/>), or, once the previous offer
    /// was committed under protocol version 2, another one. Null when there is none: the sender closed the
    /// connection or sent nothing within <see cref="HandoverLimits.Timeout"/> after a commit, the version spoken
    /// allows one offer, or the previous offer was not committed (the handover ended). Each offer is its own
    /// transaction; the limits on items and descriptors count all offers of this sender together.
    /// </summary>
    /// <exception cref="InvalidOperationException">The previous offer has not been prepared and decided yet.</exception>
    /// <exception cref="HandoverAbortedException">
    /// The sender died, timed out, aborted, broke the protocol or exceeded a limit within an offer; nothing received
    /// of it stays open (earlier committed offers are unaffected).
    /// </exception>
    public async ValueTask<HandoverOffer?> ReceiveNextOfferAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _received, 1) == 0)
        {
            return await ReceiveAsync(first: true, cancellationToken).ConfigureAwait(false);
        }
        HandoverOffer? last = _last;
        if (last is null || last.Outcome == HandoverOffer.Undecided)
        {
            throw new InvalidOperationException("The previous offer is not decided yet: prepare it (PrepareAsync) first.");
        }
        if (last.Outcome != HandoverOffer.CommittedOpen)
        {
            return null;
        }
        try
        {
            return await ReceiveAsync(first: false, cancellationToken).ConfigureAwait(false);
        }
        catch (HandoverAbortedException e) when (e.Reason is HandoverAbortReason.PeerClosed or HandoverAbortReason.Timeout or HandoverAbortReason.Refused && _between)
        {
            // Between offers nothing is pending: the sender's close (or silence, or ABORT) just ends the handover.
            return null;
        }
    }

    private async ValueTask<HandoverOffer> ReceiveAsync(bool first, CancellationToken cancellationToken)
    {
        var messages = new List<FdMessage>();
        _between = !first;
        try
        {
            if (first)
            {
                await HelloAsync(cancellationToken).ConfigureAwait(false);
            }
            byte[] begin = await _connection.ReceiveBodyAsync(HandoverMessageType.Begin, cancellationToken).ConfigureAwait(false);
            _between = false;
            if (HandoverWire.TryReadBegin(begin, _connection.Limits, out int items, out int descriptors, out long stateBytes) is { } refused)
            {
                throw new HandoverAbortedException(HandoverAbortReason.LimitExceeded, $"The offer was refused: {refused}.");
            }
            if (_itemsSoFar + items > _connection.Limits.MaxItems || _descriptorsSoFar + descriptors > _connection.Limits.MaxTotalDescriptors)
            {
                throw new HandoverAbortedException(HandoverAbortReason.LimitExceeded,
                    $"The offer was refused: with the {_itemsSoFar} items and {_descriptorsSoFar} descriptors of this sender's earlier offers, its {items} items and {descriptors} descriptors exceed HandoverLimits (MaxItems {_connection.Limits.MaxItems}, MaxTotalDescriptors {_connection.Limits.MaxTotalDescriptors}).");
            }
            _itemsSoFar += items;
            _descriptorsSoFar += descriptors;
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
            var offer = new HandoverOffer(_connection, assembler.Entries, messages, _version >= HandoverWire.Version2);
            messages = null;
            _last = offer;
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
        _version = version;
    }

    /// <summary>Closes the connection; the sender sees the handover aborted.</summary>
    public void Dispose() => _connection.Dispose();
}
