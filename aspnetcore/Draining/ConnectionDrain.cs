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
    private int _acceptsUnderWay;

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

    /// <summary>Connection middleware: stops counting the connection as waiting when it ends.</summary>
    public ConnectionDelegate Track(ConnectionDelegate next) => async connection =>
    {
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            _waitingForFirstRequest.TryRemove(connection.ConnectionId, out _);
        }
    };

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
