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
    private readonly ConnectionDrain _drain;

    public DrainingListener(IConnectionListener inner, ConnectionDrain drain)
    {
        _inner = inner;
        _drain = drain;
    }

    public EndPoint EndPoint => _inner.EndPoint;

    public ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default) => _drain.AcceptAsync(_inner, cancellationToken);

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => _inner.UnbindAsync(cancellationToken);

    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}
