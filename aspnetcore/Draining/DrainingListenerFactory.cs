using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace FdPasser.AspNetCore.Draining;

/// <summary>
/// Kestrel's transport for descriptor endpoints (<c>ListenHandle</c>): the sockets transport, each listener made
/// to stop accepting when the drain begins. Kestrel tries the factory registered last first; other endpoints go
/// to the next one.
/// </summary>
internal sealed class DrainingListenerFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly SocketTransportFactory _sockets;
    private readonly ConnectionDrain _drain;

    public DrainingListenerFactory(SocketTransportFactory sockets, ConnectionDrain drain)
    {
        _sockets = sockets;
        _drain = drain;
    }

    public bool CanBind(EndPoint endpoint) => endpoint is FileHandleEndPoint;

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        new DrainingListener(await _sockets.BindAsync(endpoint, cancellationToken).ConfigureAwait(false), _drain);
}
