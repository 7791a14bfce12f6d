using System;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.Handover;

/// <summary>The receiver's answer to an offer: which items it adopted (dormant). The sender now commits or aborts.</summary>
public sealed class HandoverPrepared
{
    private readonly HandoverConnection _connection;
    private readonly bool[] _accepted;
    private readonly HandoverSender? _sender;
    private int _decided;

    internal HandoverPrepared(HandoverConnection connection, bool[] accepted, HandoverSender? sender = null)
    {
        _connection = connection;
        _accepted = accepted;
        _sender = sender;
        foreach (bool a in accepted)
        {
            AcceptedCount += a ? 1 : 0;
        }
    }

    /// <summary>How many items the receiver adopted.</summary>
    public int AcceptedCount { get; }

    /// <summary>Whether the receiver adopted item <paramref name="index"/> of the offer.</summary>
    public bool IsAccepted(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _accepted.Length);
        return _accepted[index];
    }

    /// <summary>
    /// Sends COMMIT and waits for the receiver's COMMITTED. True: the receiver owns the accepted items now, and the
    /// sender must relinquish them (close its copies; never <c>shutdown()</c> a socket, which would end it for the
    /// receiver too). False: the receiver died, timed out or broke the protocol before confirming; the sender
    /// still owns everything of this offer (earlier committed offers stay the receiver's). After true, where
    /// <see cref="HandoverSender.SupportsSeveralOffers"/>, the connection stays open for another offer; otherwise it
    /// is closed.
    /// </summary>
    public async ValueTask<bool> CommitAsync(CancellationToken cancellationToken = default)
    {
        Decide();
        bool committed = false;
        try
        {
            byte[] commit = new byte[HandoverWire.HeaderSize];
            HandoverWire.WriteHeader(commit, HandoverMessageType.Commit);
            await _connection.SendAsync(commit, "COMMIT", cancellationToken).ConfigureAwait(false);
            byte[] body = await _connection.ReceiveBodyAsync(HandoverMessageType.Committed, cancellationToken).ConfigureAwait(false);
            committed = body.Length == 0;
            return committed;
        }
        catch (HandoverAbortedException)
        {
            return false;
        }
        finally
        {
            bool open = committed && _sender is { SupportsSeveralOffers: true };
            if (!open)
            {
                _connection.Dispose();
            }
            _sender?.Decided(open);
        }
    }

    /// <summary>Sends ABORT: the receiver drops what it prepared; the sender keeps everything.</summary>
    public ValueTask AbortAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Decide();
        _connection.Abort(HandoverAbortReason.Aborted, "the sender aborted");
        _sender?.Decided(open: false);
        return ValueTask.CompletedTask;
    }

    private void Decide()
    {
        if (Interlocked.Exchange(ref _decided, 1) != 0)
        {
            throw new InvalidOperationException("The handover was committed or aborted already.");
        }
    }
}
