using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections;

namespace FdPasser.AspNetCore.Draining;

/// <summary>
/// The handoff: stops accepting on inherited listeners (the kernel keeps new connections in the shared backlog
/// for the next generation) and waits until every connection already accepted has begun a request. Kestrel's own
/// stop serves requests that have begun but closes a connection still waiting for its first one, which its
/// client sees as a dropped request.
/// </summary>
internal sealed class ConnectionDrain : IDisposable
{
    private readonly CancellationTokenSource _stopAccepting = new();
    private readonly ConcurrentDictionary<string, bool> _waitingForFirstRequest = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<TrackedConnection, bool> _live = new();
    private int _acceptsUnderWay;
    private volatile bool _closing;

    /// <summary>Connections accepted whose first request has not begun.</summary>
    public int Waiting => _waitingForFirstRequest.Count;

    public void StopAccepting() => _stopAccepting.Cancel();

    /// <summary>
    /// Runs one accept of an inherited listener, counted until it has returned: an accept that had already taken a
    /// connection when the drain cancelled it still returns that connection, which is then counted as waiting
    /// before the count of accepts under way drops. Kestrel runs the connection middleware (<see cref="Track"/>)
    /// only later, on the thread pool; counting there left a moment in which the drain saw no connection and
    /// Kestrel's stop closed one whose client was about to send its request.
    /// </summary>
    public async ValueTask<ConnectionContext?> AcceptAsync(IConnectionListener inner, CancellationToken cancellationToken)
    {
        // Counted before the check, so a drain that saw no accept under way has cancelled before any later check.
        Interlocked.Increment(ref _acceptsUnderWay);
        try
        {
            if (_stopAccepting.IsCancellationRequested)
            {
                return null;
            }
            using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopAccepting.Token);
            ConnectionContext? connection;
            try
            {
                connection = await inner.AcceptAsync(both.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopAccepting.IsCancellationRequested)
            {
                return null;
            }
            if (connection is not null)
            {
                string id = connection.ConnectionId;
                _waitingForFirstRequest[id] = true;
                // Kestrel closes a connection it refuses (over MaxConcurrentConnections) without running the
                // connection middleware (Track): its close uncounts it, as it does any connection that ends early.
                connection.ConnectionClosed.UnsafeRegister(static (state, token) =>
                {
                    var (drain, connectionId) = ((ConnectionDrain, string))state!;
                    drain._waitingForFirstRequest.TryRemove(connectionId, out _);
                }, (this, id));
            }
            return connection;
        }
        finally
        {
            Interlocked.Decrement(ref _acceptsUnderWay);
        }
    }

    /// <summary>Connection middleware: knows the connection while it lives; stops counting it as waiting when it ends.</summary>
    public ConnectionDelegate Track(ConnectionDelegate next) => async connection =>
    {
        var tracked = new TrackedConnection(connection);
        connection.Features.Set(tracked);
        _live[tracked] = true;
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            _live.TryRemove(tracked, out _);
            _waitingForFirstRequest.TryRemove(connection.ConnectionId, out _);
        }
    };

    /// <summary>Connections alive on the inherited listeners.</summary>
    public int Live => _live.Count;

    /// <summary>True once the drain ends what is not handed over: responses carry Connection: close.</summary>
    public bool IsClosing => _closing;

    /// <summary>
    /// From now on responses say Connection: close (also those of requests in progress whose headers have not gone
    /// out yet); a connection that is not plain HTTP/1.1 (HTTP/2 gets Kestrel's GOAWAY) is asked to end. HTTP/1.1
    /// connections are never closed from here: one whose response began before now cannot tell its client any more,
    /// so it stays open like an idle one, and its client learns on its next request. No request is met by a close.
    /// </summary>
    public void BeginClosing()
    {
        _closing = true;
        foreach (TrackedConnection c in _live.Keys)
        {
            if (c.IsNotPlainHttp11)
            {
                c.RequestClose();
            }
        }
    }

    /// <summary>Waits until no connection is left or <paramref name="timeout"/> passes; returns how many are left.</summary>
    public async Task<int> WaitForConnectionsAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var elapsed = Stopwatch.StartNew();
        while (!_live.IsEmpty && elapsed.Elapsed < timeout && !cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return _live.Count;
    }

    /// <summary>Called as a request begins on the connection <paramref name="connectionId"/>.</summary>
    public void RequestBegun(string connectionId) => _waitingForFirstRequest.TryRemove(connectionId, out _);

    /// <summary>
    /// Waits until no accept is under way and no accepted connection waits for its first request, or
    /// <paramref name="timeout"/> passes.
    /// </summary>
    /// <returns>How many still wait.</returns>
    public async Task<int> WaitForFirstRequestsAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var elapsed = Stopwatch.StartNew();
        while ((Volatile.Read(ref _acceptsUnderWay) > 0 || !_waitingForFirstRequest.IsEmpty) && elapsed.Elapsed < timeout && !cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return _waitingForFirstRequest.Count;
    }

    public void Dispose() => _stopAccepting.Dispose();
}
