using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.Handover;

/// <summary>
/// The old generation's end of a handover: offers items to one successor, learns which it prepared, then commits
/// or aborts (docs/handover.md). Until the receiver confirms a commit the sender owns everything it offered.
/// </summary>
public sealed class HandoverSender : IDisposable
{
    private readonly HandoverConnection _connection;
    private int _offering;
    private bool _negotiated;
    private bool _ended;
    private int _offers;

    internal HandoverSender(HandoverConnection connection, uint peerGeneration = 0)
    {
        _connection = connection;
        PeerGeneration = peerGeneration;
    }

    /// <summary>The successor's generation number as the broker named it; 0 where unknown.</summary>
    public uint PeerGeneration { get; }

    /// <summary>A connected sender and receiver in this process (<c>socketpair(AF_UNIX, SOCK_SEQPACKET)</c>).</summary>
    public static (HandoverSender Sender, HandoverReceiver Receiver) CreatePair(HandoverLimits? limits = null)
    {
        var (a, b) = HandoverConnection.CreatePair(limits ?? HandoverLimits.Default);
        return (new HandoverSender(a), new HandoverReceiver(b));
    }

    /// <summary>
    /// True once the first offer negotiated version 2 or later with the receiver: after an offer is committed, the
    /// sender may make another (<see cref="OfferAsync"/> again) on the same connection, so connections that become
    /// ready later go over without waiting for the others. False before the first offer and with a version 1 peer.
    /// </summary>
    public bool SupportsSeveralOffers { get; private set; }

    /// <summary>
    /// Exchanges HELLO with the receiver now (otherwise the first <see cref="OfferAsync"/> does), so the caller
    /// knows <see cref="SupportsSeveralOffers"/> before it decides how to batch its items. Does nothing once done.
    /// </summary>
    /// <exception cref="HandoverAbortedException">The receiver refused, died, timed out or broke the protocol.</exception>
    public async ValueTask NegotiateAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _offering, 1) != 0)
        {
            throw new InvalidOperationException("An offer of this handover sender is under way.");
        }
        try
        {
            if (!_negotiated && !_ended)
            {
                await HelloAsync(cancellationToken).ConfigureAwait(false);
                _negotiated = true;
            }
        }
        catch (Exception e)
        {
            _ended = true;
            (HandoverAbortReason reason, string text) = e is HandoverAbortedException a ? (a.Reason, a.Message) : (HandoverAbortReason.Aborted, "the sender gave up");
            _connection.Abort(reason, text);
            throw;
        }
        finally
        {
            Volatile.Write(ref _offering, 0);
        }
    }

    /// <summary>
    /// Negotiates the version (on the first call), sends every item and waits until the receiver has prepared them.
    /// Call once, or again after the previous offer's <see cref="HandoverPrepared.CommitAsync"/> returned true where
    /// <see cref="SupportsSeveralOffers"/> is true. Each offer is its own transaction: aborting one leaves the
    /// items of earlier committed offers with the receiver and those of this one with the sender.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// An offer is still undecided, the handover ended (an abort, a failed commit), or the peer allows one offer.
    /// </exception>
    /// <exception cref="ArgumentException">An item exceeds the limits; nothing was sent.</exception>
    /// <exception cref="HandoverAbortedException">
    /// The receiver refused, died, timed out or broke the protocol: the sender still owns everything.
    /// </exception>
    public async ValueTask<HandoverPrepared> OfferAsync(IReadOnlyList<HandoverItem> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (Interlocked.Exchange(ref _offering, 1) != 0)
        {
            throw new InvalidOperationException("An offer of this handover sender is still undecided: commit or abort it first.");
        }
        if (_ended || (_offers > 0 && !SupportsSeveralOffers))
        {
            Volatile.Write(ref _offering, 0);
            throw new InvalidOperationException(_ended
                ? "The handover has ended (an offer was aborted or its commit failed); nothing more can be offered."
                : "The receiver speaks handover protocol version 1, which allows one offer per connection.");
        }
        OfferShape shape;
        try
        {
            shape = OfferShape.Of(items, _connection.Limits);
        }
        catch
        {
            Volatile.Write(ref _offering, 0);
            throw;
        }
        try
        {
            if (!_negotiated)
            {
                await HelloAsync(cancellationToken).ConfigureAwait(false);
                _negotiated = true;
            }
            _offers++;
            byte[] buffer = new byte[HandoverWire.MaxMessageBytes];
            int length = HandoverWire.WriteBegin(buffer, items.Count, shape.Handles.Length, shape.StateBytes);
            await _connection.SendAsync(buffer.AsMemory(0, length), "the offer's BEGIN", cancellationToken).ConfigureAwait(false);
            var encoder = new OfferEncoder(shape.Names, shape.States, shape.DescriptorCounts);
            while (!encoder.IsDone)
            {
                length = encoder.Next(buffer, out int first, out int count);
                await _connection.SendAsync(buffer.AsMemory(0, length), shape.Handles.AsMemory(first, count), "the offer's items", cancellationToken).ConfigureAwait(false);
            }
            byte[] body = await _connection.ReceiveBodyAsync(HandoverMessageType.Prepared, cancellationToken).ConfigureAwait(false);
            if (HandoverWire.TryReadPrepared(body, items.Count, out bool[] accepted) is { } error)
            {
                throw Fail(HandoverAbortReason.ProtocolError, $"The receiver's PREPARED is malformed: {error}.");
            }
            return new HandoverPrepared(_connection, accepted, this);
        }
        catch (HandoverAbortedException e)
        {
            _ended = true;
            _connection.Abort(e.Reason, e.Message);
            throw;
        }
        catch
        {
            _ended = true;
            _connection.Abort(HandoverAbortReason.Aborted, "the sender gave up");
            throw;
        }
    }

    private async ValueTask HelloAsync(CancellationToken cancellationToken)
    {
        byte[] hello = new byte[HandoverWire.HeaderSize + 2 + (2 * HandoverWire.MaxHelloVersions)];
        int length = HandoverWire.WriteHello(hello, HandoverWire.RoleSender, HandoverWire.SupportedVersions);
        await _connection.SendAsync(hello.AsMemory(0, length), "HELLO", cancellationToken).ConfigureAwait(false);
        byte[] body = await _connection.ReceiveBodyAsync(HandoverMessageType.Hello, cancellationToken).ConfigureAwait(false);
        if (HandoverWire.TryReadHello(body, HandoverWire.RoleReceiver, out ushort version) is { } error)
        {
            throw Fail(HandoverAbortReason.ProtocolError, $"The receiver's HELLO is malformed: {error}.");
        }
        if (version == 0)
        {
            throw Fail(HandoverAbortReason.VersionMismatch, "The receiver speaks no handover protocol version this side speaks.");
        }
        SupportsSeveralOffers = version >= HandoverWire.Version2;
    }

    /// <summary>The offer <see cref="HandoverPrepared"/> stands for was decided; <paramref name="open"/>: another may follow.</summary>
    internal void Decided(bool open)
    {
        _ended |= !open;
        Volatile.Write(ref _offering, 0);
    }

    private static HandoverAbortedException Fail(HandoverAbortReason reason, string message) => new(reason, message);

    /// <summary>Closes the connection; a handover not committed yet is aborted (the sender keeps everything).</summary>
    public void Dispose() => _connection.Dispose();

    /// <summary>What an offer is made of, checked against the limits before anything is sent.</summary>
    private readonly record struct OfferShape(byte[][] Names, ReadOnlyMemory<byte>[] States, int[] DescriptorCounts, SafeHandle[] Handles, long StateBytes)
    {
        public static OfferShape Of(IReadOnlyList<HandoverItem> items, HandoverLimits limits)
        {
            if (items.Count > limits.MaxItems)
            {
                throw new ArgumentException($"{items.Count} items exceed HandoverLimits.MaxItems ({limits.MaxItems}). Nothing was sent.", nameof(items));
            }
            var names = new byte[items.Count][];
            var states = new ReadOnlyMemory<byte>[items.Count];
            var counts = new int[items.Count];
            var handles = new List<SafeHandle>();
            long stateBytes = 0;
            for (int i = 0; i < items.Count; i++)
            {
                HandoverItem item = items[i] ?? throw new ArgumentException($"Item {i} is null.", nameof(items));
                names[i] = Encoding.UTF8.GetBytes(item.Name);
                states[i] = item.State;
                counts[i] = item.DescriptorArray.Length;
                handles.AddRange(item.DescriptorArray);
                stateBytes += item.State.Length;
                string? problem =
                    names[i].Length > limits.MaxNameBytes ? $"a {names[i].Length}-byte name exceeds HandoverLimits.MaxNameBytes ({limits.MaxNameBytes})"
                    : counts[i] > limits.MaxDescriptorsPerItem ? $"{counts[i]} descriptors exceed HandoverLimits.MaxDescriptorsPerItem ({limits.MaxDescriptorsPerItem})"
                    : item.State.Length > limits.MaxStateBytesPerItem ? $"{item.State.Length} state bytes exceed HandoverLimits.MaxStateBytesPerItem ({limits.MaxStateBytesPerItem})"
                    : null;
                if (problem is not null)
                {
                    throw new ArgumentException($"Item {i} ('{item.Name}'): {problem}. Nothing was sent.", nameof(items));
                }
            }
            if (stateBytes > limits.MaxTotalStateBytes || handles.Count > limits.MaxTotalDescriptors)
            {
                throw new ArgumentException(
                    $"The offer's {stateBytes} state bytes and {handles.Count} descriptors exceed HandoverLimits (MaxTotalStateBytes {limits.MaxTotalStateBytes}, MaxTotalDescriptors {limits.MaxTotalDescriptors}). Nothing was sent.",
                    nameof(items));
            }
            return new OfferShape(names, states, counts, handles.ToArray(), stateBytes);
        }
    }
}
