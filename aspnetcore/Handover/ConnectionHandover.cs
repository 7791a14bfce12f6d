using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using FdPasser.AspNetCore.Transport;
using FdPasser.Handover;
using Microsoft.Extensions.Logging;

namespace FdPasser.AspNetCore.Handover;

/// <summary>
/// The old generation's side, at its drain: every HTTP/1.1 connection parks at its next request boundary (now, for
/// an idle one; when its response is written, for a busy one) and the parked ones are offered to the successor —
/// the idle ones at once, each busy one in a later offer as it parks, where the successor takes several offers
/// (protocol version 2). On each commit the accepted ones are relinquished; what was not taken reads on and ends
/// gracefully.
/// </summary>
internal sealed partial class ConnectionHandover : IParkSink
{
    /// <summary>The longest wait for a successor the manager introduced (it does so before the stop signal).</summary>
    internal static readonly TimeSpan SuccessorWait = TimeSpan.FromSeconds(2);

    /// <summary>The longest wait for busy connections to finish their request and park; parked ones wait with them.</summary>
    internal static readonly TimeSpan CollectWindow = TimeSpan.FromSeconds(2);

    private readonly ConnectionRegistry _registry;
    private readonly ILogger<ConnectionHandover> _logger;
    private readonly Channel<(OwnedSocketConnection Connection, byte[] Unread)> _parked = Channel.CreateUnbounded<(OwnedSocketConnection, byte[])>();

    public ConnectionHandover(ConnectionRegistry registry, ILogger<ConnectionHandover> logger)
    {
        _registry = registry;
        _logger = logger;
    }

    void IParkSink.Parked(OwnedSocketConnection connection, byte[] unread) => _parked.Writer.TryWrite((connection, unread));

    /// <summary>Hands over what can be within <paramref name="timeout"/>; returns how many connections the successor took.</summary>
    public async Task<int> RunAsync(HandoverChannel channel, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        // With no connection, the successor (if one was introduced) is still taken and let go at once, so it does
        // not wait for an offer until its timeout.
        TimeSpan wait = _registry.Count == 0 ? TimeSpan.FromMilliseconds(100) : SuccessorWait;
        HandoverSender? sender = await channel.WaitForSuccessorAsync(Min(wait, timeout), cancellationToken).ConfigureAwait(false);
        if (sender is not null && _registry.Count == 0)
        {
            sender.Dispose();
            return 0;
        }
        if (sender is null)
        {
            LogNoSuccessor(_logger, _registry.Count);
            return 0;
        }
        HandoverTrace.Mark("successor");
        using (sender)
        {
            // HELLO first, while the connections still serve: its round trip is not spent with connections parked.
            try
            {
                await sender.NegotiateAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HandoverAbortedException or OperationCanceledException or FdPassingException)
            {
                LogAborted(_logger, _registry.Count, e.Message);
                return 0;
            }
            HandoverTrace.Mark("negotiated", null, sender.SupportsSeveralOffers ? 2 : 1);
            (int taken, int offered) = await HandOverAsync(sender, Min(CollectWindow, timeout - clock.Elapsed), cancellationToken).ConfigureAwait(false);
            if (offered > 0)
            {
                LogHandedOver(_logger, taken, offered, clock.Elapsed.TotalMilliseconds);
            }
            return taken;
        }
    }

    /// <summary>
    /// Parks every connection and offers the parked ones. Where the successor takes several offers, the first goes
    /// as soon as the connections idle at a boundary have parked, and each connection busy with a request follows in
    /// a later offer once its response is written; a successor that takes one offer gets one, after all have parked
    /// (or <paramref name="window"/> passed).
    /// </summary>
    private async Task<(int Taken, int Offered)> HandOverAsync(HandoverSender sender, TimeSpan window, CancellationToken cancellationToken)
    {
        IReadOnlyList<OwnedSocketConnection> all = _registry.Snapshot();
        foreach (OwnedSocketConnection c in all)
        {
            c.WantHandover(this);
        }
        bool several = sender.SupportsSeveralOffers;
        var clock = Stopwatch.StartNew();
        int taken = 0, offered = 0;
        bool goOn = true;
        try
        {
            while (goOn)
            {
                List<(OwnedSocketConnection, byte[])> batch = await NextBatchAsync(all, window - clock.Elapsed, several, cancellationToken).ConfigureAwait(false);
                if (batch.Count == 0)
                {
                    break;
                }
                offered += batch.Count;
                (int n, goOn) = await OfferAsync(sender, batch, cancellationToken).ConfigureAwait(false);
                taken += n;
                goOn &= several;
            }
        }
        finally
        {
            foreach (OwnedSocketConnection c in all)
            {
                c.StopWanting();
            }
        }
        // Parked after the last look: offered too where another offer may follow, otherwise they read on here.
        var late = new List<(OwnedSocketConnection, byte[])>();
        while (_parked.Reader.TryRead(out (OwnedSocketConnection, byte[]) p))
        {
            late.Add(p);
        }
        if (late.Count > 0 && goOn && several && !cancellationToken.IsCancellationRequested)
        {
            offered += late.Count;
            taken += (await OfferAsync(sender, late, cancellationToken).ConfigureAwait(false)).Taken;
        }
        else
        {
            foreach ((OwnedSocketConnection c, byte[] _) in late)
            {
                c.Resume();
            }
        }
        return (taken, offered);
    }

    /// <summary>
    /// The next connections to offer: with <paramref name="early"/>, those parked once no idle connection is still
    /// parking (busy ones follow later); otherwise those parked once none is on its way. Empty when none will come.
    /// </summary>
    private async Task<List<(OwnedSocketConnection, byte[])>> NextBatchAsync(IReadOnlyList<OwnedSocketConnection> all, TimeSpan window, bool early, CancellationToken cancellationToken)
    {
        var batch = new List<(OwnedSocketConnection, byte[])>();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            while (_parked.Reader.TryRead(out (OwnedSocketConnection, byte[]) p))
            {
                batch.Add(p);
            }
            if (!AnyOnItsWay(all) || clock.Elapsed >= window || cancellationToken.IsCancellationRequested
                || (early && batch.Count > 0 && !AnyAboutToPark(all)))
            {
                return batch;
            }
            using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            tick.CancelAfter(TimeSpan.FromMilliseconds(batch.Count > 0 ? 1 : 20));
            try
            {
                await _parked.Reader.WaitToReadAsync(tick.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private static bool AnyAboutToPark(IReadOnlyList<OwnedSocketConnection> all)
    {
        foreach (OwnedSocketConnection c in all)
        {
            if (c.IsAboutToPark)
            {
                return true;
            }
        }
        return false;
    }

    private static bool AnyOnItsWay(IReadOnlyList<OwnedSocketConnection> all)
    {
        foreach (OwnedSocketConnection c in all)
        {
            if (c.IsOnItsWayToPark)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>One offer; returns how many were taken and whether the handover may go on with another offer.</summary>
    private async Task<(int Taken, bool GoOn)> OfferAsync(HandoverSender sender, List<(OwnedSocketConnection Connection, byte[] Unread)> parked, CancellationToken cancellationToken)
    {
        bool goOn = false;
        var items = new HandoverItem[parked.Count];
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = new HandoverItem(parked[i].Connection.ListenerName, ConnectionState.Encode(parked[i].Unread), parked[i].Connection.SocketHandle);
        }
        bool[] taken = new bool[items.Length];
        try
        {
            HandoverTrace.Mark("offer", null, items.Length);
            HandoverPrepared prepared = await sender.OfferAsync(items, cancellationToken).ConfigureAwait(false);
            HandoverTrace.Mark("prepared", null, prepared.AcceptedCount);
            if (prepared.AcceptedCount == 0)
            {
                await prepared.AbortAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (await prepared.CommitAsync(cancellationToken).ConfigureAwait(false))
            {
                HandoverTrace.Mark("committed", null, prepared.AcceptedCount);
                goOn = true;
                for (int i = 0; i < taken.Length; i++)
                {
                    taken[i] = prepared.IsAccepted(i);
                }
            }
        }
        catch (Exception e) when (e is HandoverAbortedException or ArgumentException or OperationCanceledException or FdPassingException)
        {
            LogAborted(_logger, parked.Count, e.Message);
        }
        int count = 0;
        for (int i = 0; i < taken.Length; i++)
        {
            if (taken[i])
            {
                parked[i].Connection.Relinquish();
                count++;
            }
            else
            {
                parked[i].Connection.Resume();
            }
        }
        return (count, goOn);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? (a < TimeSpan.Zero ? TimeSpan.Zero : a) : (b < TimeSpan.Zero ? TimeSpan.Zero : b);

    [LoggerMessage(Level = LogLevel.Information, Message = "No successor was introduced: {Count} connections end gracefully instead of being handed over")]
    private static partial void LogNoSuccessor(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Handed {Taken} of {Offered} parked connections to the successor in {Milliseconds:F0} ms")]
    private static partial void LogHandedOver(ILogger logger, int taken, int offered, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The handover of {Count} connections was aborted ({Reason}); they are served here and end gracefully")]
    private static partial void LogAborted(ILogger logger, int count, string reason);
}
