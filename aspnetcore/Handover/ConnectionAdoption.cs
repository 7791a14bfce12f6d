using System;
using System.Collections.Generic;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.AspNetCore.Transport;
using FdPasser.Handover;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.AspNetCore.Handover;

/// <summary>
/// The new generation's side: each predecessor's offer is adopted dormant (a socket object per connection, nothing
/// read or started), prepared, and on commit each connection starts with its unread bytes first and is yielded to
/// Kestrel by the listener of its name. Items this generation cannot serve (no listener of that name, not one
/// stream socket, a state it does not know) are not adopted; the predecessor keeps them.
/// </summary>
internal sealed partial class ConnectionAdoption
{
    private readonly ConnectionRegistry _registry;
    private readonly ILogger<ConnectionAdoption> _logger;

    public ConnectionAdoption(ConnectionRegistry registry, ILogger<ConnectionAdoption> logger)
    {
        _registry = registry;
        _logger = logger;
    }

    /// <summary>Adopts from every predecessor introduced until <paramref name="cancellationToken"/> or the link ends.</summary>
    public async Task RunAsync(HandoverChannel channel, CancellationToken cancellationToken)
    {
        var running = new List<Task>();
        try
        {
            await foreach (HandoverReceiver receiver in channel.ReceivePredecessorsAsync(cancellationToken).ConfigureAwait(false))
            {
                running.Add(Task.Run(() => AdoptAsync(receiver, cancellationToken), CancellationToken.None));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        await Task.WhenAll(running).ConfigureAwait(false);
    }

    /// <summary>
    /// Receives one predecessor's offers (one, or several in turn where it makes them: each batch of connections
    /// starts here as soon as it is committed) and adopts what it can; returns how many connections started here.
    /// </summary>
    public async Task<int> AdoptAsync(HandoverReceiver receiver, CancellationToken cancellationToken)
    {
        using (receiver)
        {
            int started = 0;
            while (true)
            {
                HandoverOffer? offer;
                try
                {
                    offer = await receiver.ReceiveNextOfferAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is HandoverAbortedException or OperationCanceledException or FdPassingException)
                {
                    LogOfferFailed(_logger, e.Message);
                    return started;
                }
                if (offer is null)
                {
                    return started;
                }
                HandoverTrace.Mark("received", null, offer.Items.Count);
                started += await AdoptAsync(offer, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Adopts what it can of one offer; returns how many connections started here.</summary>
    private async Task<int> AdoptAsync(HandoverOffer offer, CancellationToken cancellationToken)
    {
        using (offer)
        {
            var adopted = new List<(OwnedSocketListener Listener, Socket Socket, byte[] Unread)>();
            var accepted = new List<int>();
            bool committed = false;
            int started = 0;
            try
            {
                for (int i = 0; i < offer.Items.Count; i++)
                {
                    ReceivedHandoverItem item = offer.Items[i];
                    if (_registry.Listener(item.Name) is { } listener && item.DescriptorCount == 1
                        && ConnectionState.Decode(item.State.Span) is { } unread && TakeSocket(item) is { } socket)
                    {
                        adopted.Add((listener, socket, unread));
                        accepted.Add(i);
                    }
                }
                HandoverTrace.Mark("prepare", null, accepted.Count);
                committed = await offer.PrepareAsync(accepted, cancellationToken).ConfigureAwait(false);
                HandoverTrace.Mark("adopt-committed", null, committed ? 1 : 0);
            }
            catch (Exception e) when (e is HandoverAbortedException or OperationCanceledException or FdPassingException)
            {
                LogOfferFailed(_logger, e.Message);
            }
            finally
            {
                foreach ((OwnedSocketListener listener, Socket socket, byte[] unread) in adopted)
                {
                    // Not committed: the predecessor still serves the connection, so this copy is only closed
                    // (no shutdown; nothing was ever under way on it).
                    if (committed && listener.Adopt(socket, unread))
                    {
                        started++;
                    }
                    else
                    {
                        socket.Dispose();
                    }
                }
            }
            LogAdopted(_logger, started, offer.Items.Count, committed);
            return started;
        }
    }

    /// <summary>The item's descriptor as a stream socket, owned by the returned Socket; null (closed) when it is none.</summary>
    private static Socket? TakeSocket(ReceivedHandoverItem item)
    {
        SafeFileHandle file = item.TakeDescriptor(0);
        var handle = new SafeSocketHandle(file.DangerousGetHandle(), ownsHandle: true);
        file.SetHandleAsInvalid(); // the one owner is the socket handle now
        try
        {
            var socket = new Socket(handle);
            if (socket.SocketType == SocketType.Stream)
            {
                return socket;
            }
            socket.Dispose();
            return null;
        }
        catch (SocketException)
        {
            handle.Dispose();
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A predecessor's handover failed: {Reason}")]
    private static partial void LogOfferFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Adopted {Started} of {Offered} connections from a predecessor (committed: {Committed})")]
    private static partial void LogAdopted(ILogger logger, int started, int offered, bool committed);
}
