using System.Net;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.AspNetCore.Handover;
using FdPasser.AspNetCore.Transport;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace FdPasser.AspNetCore.Draining;

/// <summary>
/// Kestrel's transport for descriptor endpoints (<c>ListenHandle</c>), each listener made to stop accepting when
/// the drain begins: this package's own transport where connections are handed over (it can let a socket go
/// without <c>shutdown()</c>), Kestrel's socket transport otherwise. Kestrel tries the factory registered last
/// first; other endpoints go to the next one.
/// </summary>
internal sealed class DrainingListenerFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly SocketTransportFactory _sockets;
    private readonly OwnedSocketTransportFactory _owned;
    private readonly ConnectionDrain _drain;
    private readonly ConnectionHandoverSettings _settings;

    public DrainingListenerFactory(SocketTransportFactory sockets, OwnedSocketTransportFactory owned, ConnectionDrain drain, ConnectionHandoverSettings settings)
    {
        _sockets = sockets;
        _owned = owned;
        _drain = drain;
        _settings = settings;
    }

    public bool CanBind(EndPoint endpoint) => endpoint is FileHandleEndPoint;

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        IConnectionListenerFactory transport = _settings.Enabled ? _owned : _sockets;
        return new DrainingListener(await transport.BindAsync(endpoint, cancellationToken).ConfigureAwait(false), _drain);
    }
}
