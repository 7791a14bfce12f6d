using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace FdPasser.AspNetCore.Draining;

/// <summary>
/// A connection the drain knows of (any transport), set as a feature of the connection so each request finds it:
/// whether a request showed it is not plain HTTP/1.1, for the graceful end of what is not handed over.
/// </summary>
internal sealed class TrackedConnection
{
    private volatile bool _notHttp11;

    public TrackedConnection(ConnectionContext context) => Context = context;

    public ConnectionContext Context { get; }

    /// <summary>HTTP/2, TLS or an upgrade: nothing to keep idle; Kestrel's own close (GOAWAY for HTTP/2) is its graceful end.</summary>
    public bool IsNotPlainHttp11 => _notHttp11;

    /// <summary>A request came; one that is not plain HTTP/1.1 marks the connection for good.</summary>
    public void RequestSeen(bool plainHttp11) => _notHttp11 |= !plainHttp11;

    /// <summary>Asks Kestrel to end the connection (HTTP/2: GOAWAY; HTTP/1.1 only where its client hears of it).</summary>
    public void RequestClose() => Context.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
}
