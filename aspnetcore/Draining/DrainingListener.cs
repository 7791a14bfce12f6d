using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections;

namespace FdPasser.AspNetCore.Draining;

/// <summary>
/// An inherited listener that stops accepting when the drain begins, without closing or shutting down the socket:
/// the pending accept is cancelled (which makes no syscall and takes no connection from the backlog) and Kestrel
/// is told the listener is done.
/// </summary>
internal sealed class DrainingListener : IConnectionListener
{
    private readonly IConnectionListener _inner;
    private readonly CancellationToken _stopAccepting;

    public DrainingListener(IConnectionListener inner, CancellationToken stopAccepting)
    {
        _inner = inner;
        _stopAccepting = stopAccepting;
    }

    public EndPoint EndPoint => _inner.EndPoint;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        if (_stopAccepting.IsCancellationRequested)
        {
            return null;
        }
        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopAccepting);
        try
        {
            return await _inner.AcceptAsync(both.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopAccepting.IsCancellationRequested)
        {
            return null;
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => _inner.UnbindAsync(cancellationToken);

    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}
