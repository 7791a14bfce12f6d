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
/// an idle one; when its response is written, for a busy one), the parked ones are offered to the successor in one
/// offer, and on commit each accepted one is relinquished; what was not taken reads on and ends gracefully.
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
        using (sender)
        {
            List<(OwnedSocketConnection Connection, byte[] Unread)> parked = await CollectAsync(Min(CollectWindow, timeout - clock.Elapsed), cancellationToken).ConfigureAwait(false);
            if (parked.Count == 0)
            {
                return 0;
            }
            int taken = await OfferAsync(sender, parked, cancellationToken).ConfigureAwait(false);
            LogHandedOver(_logger, taken, parked.Count, clock.Elapsed.TotalMilliseconds);
            return taken;
        }
    }

    private async Task<List<(OwnedSocketConnection, byte[])>> CollectAsync(TimeSpan window, CancellationToken cancellationToken)
    {
        IReadOnlyList<OwnedSocketConnection> all = _registry.Snapshot();
        foreach (OwnedSocketConnection c in all)
        {
            c.WantHandover(this);
        }
        var parked = new List<(OwnedSocketConnection, byte[])>(all.Count);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < window && !cancellationToken.IsCancellationRequested)
        {
            while (_parked.Reader.TryRead(out (OwnedSocketConnection, byte[]) p))
            {
                parked.Add(p);
            }
            if (!AnyOnItsWay(all))
            {
                break;
            }
            using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            tick.CancelAfter(TimeSpan.FromMilliseconds(20));
            try
            {
                await _parked.Reader.WaitToReadAsync(tick.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        foreach (OwnedSocketConnection c in all)
        {
            c.StopWanting();
        }
        while (_parked.Reader.TryRead(out (OwnedSocketConnection, byte[]) p))
        {
            parked.Add(p);
        }
        return parked;
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

    private async Task<int> OfferAsync(HandoverSender sender, List<(OwnedSocketConnection Connection, byte[] Unread)> parked, CancellationToken cancellationToken)
    {
        var items = new HandoverItem[parked.Count];
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = new HandoverItem(parked[i].Connection.ListenerName, ConnectionState.Encode(parked[i].Unread), parked[i].Connection.SocketHandle);
        }
        bool[] taken = new bool[items.Length];
        try
        {
            HandoverPrepared prepared = await sender.OfferAsync(items, cancellationToken).ConfigureAwait(false);
            if (prepared.AcceptedCount == 0)
            {
                await prepared.AbortAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (await prepared.CommitAsync(cancellationToken).ConfigureAwait(false))
            {
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
        return count;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? (a < TimeSpan.Zero ? TimeSpan.Zero : a) : (b < TimeSpan.Zero ? TimeSpan.Zero : b);

    [LoggerMessage(Level = LogLevel.Information, Message = "No successor was introduced: {Count} connections end gracefully instead of being handed over")]
    private static partial void LogNoSuccessor(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Handed {Taken} of {Offered} parked connections to the successor in {Milliseconds:F0} ms")]
    private static partial void LogHandedOver(ILogger logger, int taken, int offered, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The handover of {Count} connections was aborted ({Reason}); they are served here and end gracefully")]
    private static partial void LogAborted(ILogger logger, int count, string reason);
}
