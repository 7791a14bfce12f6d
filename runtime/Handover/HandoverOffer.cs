using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.Handover;

/// <summary>
/// A received offer. It owns every received descriptor not yet taken (<see cref="ReceivedHandoverItem.TakeDescriptor"/>);
/// <see cref="Dispose"/> closes them, so an item the receiver did not adopt leaks nothing.
/// </summary>
public sealed class HandoverOffer : IDisposable
{
    private readonly HandoverConnection _connection;
    private readonly List<FdMessage> _messages;
    private readonly ReceivedHandoverItem[] _items;
    private int _prepared;

    internal HandoverOffer(HandoverConnection connection, IReadOnlyList<OfferAssembler.Entry> entries, List<FdMessage> messages)
    {
        _connection = connection;
        _messages = messages;
        _items = new ReceivedHandoverItem[entries.Count];
        for (int i = 0; i < _items.Length; i++)
        {
            OfferAssembler.Entry e = entries[i];
            _items[i] = new ReceivedHandoverItem(e.Name, e.State, e.DescriptorCount == 0 ? null : messages[e.Message], e.FirstDescriptor, e.DescriptorCount);
        }
    }

    /// <summary>The items offered, in the sender's order.</summary>
    public IReadOnlyList<ReceivedHandoverItem> Items => _items;

    /// <summary>
    /// Tells the sender which items were adopted (dormant: prepared, not yet in use), then waits for its decision.
    /// True: committed; the receiver owns the adopted items and may activate them. False: the sender aborted, died
    /// or timed out; drop what was prepared (close what was taken: the sender still serves it).
    /// </summary>
    /// <param name="accepted">The indices of the adopted items; null for all.</param>
    /// <param name="cancellationToken">Ends the wait; the sender then sees the handover aborted.</param>
    public async ValueTask<bool> PrepareAsync(IReadOnlyList<int>? accepted = null, CancellationToken cancellationToken = default)
    {
        var flags = new bool[_items.Length];
        if (accepted is null)
        {
            Array.Fill(flags, true);
        }
        else
        {
            foreach (int index in accepted)
            {
                ArgumentOutOfRangeException.ThrowIfNegative(index, nameof(accepted));
                ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _items.Length, nameof(accepted));
                flags[index] = true;
            }
        }
        if (Interlocked.Exchange(ref _prepared, 1) != 0)
        {
            throw new InvalidOperationException("The offer was prepared already.");
        }
        try
        {
            byte[] prepared = new byte[HandoverWire.PreparedSize(flags.Length)];
            HandoverWire.WritePrepared(prepared, flags);
            await _connection.SendAsync(prepared, "PREPARED", cancellationToken).ConfigureAwait(false);
            byte[] body = await _connection.ReceiveBodyAsync(HandoverMessageType.Commit, cancellationToken).ConfigureAwait(false);
            if (body.Length != 0)
            {
                return false;
            }
            byte[] committed = new byte[HandoverWire.HeaderSize];
            HandoverWire.WriteHeader(committed, HandoverMessageType.Committed);
            await _connection.SendAsync(committed, "COMMITTED", cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (HandoverAbortedException)
        {
            return false;
        }
        finally
        {
            _connection.Dispose();
        }
    }

    /// <summary>Closes every received descriptor not taken, and the connection.</summary>
    public void Dispose()
    {
        foreach (FdMessage message in _messages)
        {
            message.Dispose();
        }
        _connection.Dispose();
    }
}
