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

    /// <summary>Cancelled when the inherited listeners must stop accepting.</summary>
    public CancellationToken StopAcceptingToken => _stopAccepting.Token;

    /// <summary>Connections accepted whose first request has not begun.</summary>
    public int Waiting => _waitingForFirstRequest.Count;

    public void StopAccepting() => _stopAccepting.Cancel();

    /// <summary>Connection middleware: counts the connection as waiting until its first request begins or it ends.</summary>
    public ConnectionDelegate Track(ConnectionDelegate next) => async connection =>
    {
        _waitingForFirstRequest[connection.ConnectionId] = true;
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

    /// <summary>Waits until no accepted connection waits for its first request, or <paramref name="timeout"/> passes.</summary>
    /// <returns>How many still wait.</returns>
    public async Task<int> WaitForFirstRequestsAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var elapsed = Stopwatch.StartNew();
        while (!_waitingForFirstRequest.IsEmpty && elapsed.Elapsed < timeout && !cancellationToken.IsCancellationRequested)
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
