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
    private readonly bool _moreMayFollow;
    private int _prepared;
    private volatile int _outcome;

    internal const int Undecided = 0;
    internal const int CommittedOpen = 1;
    internal const int Ended = 2;

    internal HandoverOffer(HandoverConnection connection, IReadOnlyList<OfferAssembler.Entry> entries, List<FdMessage> messages, bool moreMayFollow = false)
    {
        _connection = connection;
        _messages = messages;
        _moreMayFollow = moreMayFollow;
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
    /// or timed out; drop what was prepared (close what was taken: the sender still serves it). Items of this
    /// sender's earlier committed offers are the receiver's either way.
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
        bool committed = false;
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
            byte[] confirm = new byte[HandoverWire.HeaderSize];
            HandoverWire.WriteHeader(confirm, HandoverMessageType.Committed);
            await _connection.SendAsync(confirm, "COMMITTED", cancellationToken).ConfigureAwait(false);
            committed = true;
            return true;
        }
        catch (HandoverAbortedException)
        {
            return false;
        }
        finally
        {
            _outcome = committed && _moreMayFollow ? CommittedOpen : Ended;
            if (_outcome == Ended)
            {
                _connection.Dispose();
            }
        }
    }

    /// <summary>Undecided, committed with the connection open for another offer, or ended.</summary>
    internal int Outcome => _outcome;

    /// <summary>
    /// Closes every received descriptor not taken, and the connection unless the offer was committed with another
    /// offer allowed to follow (the receiver then still waits for it; disposing the receiver closes it).
    /// </summary>
    public void Dispose()
    {
        foreach (FdMessage message in _messages)
        {
            message.Dispose();
        }
        if (_outcome != CommittedOpen)
        {
            _outcome = Ended;
            _connection.Dispose();
        }
    }
}
