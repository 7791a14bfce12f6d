using Microsoft.Extensions.Options;

namespace FdPasser.AspNetCore.Handover;

/// <summary>Whether this host hands connections over: the option is on and a manager offers the channel.</summary>
internal sealed class ConnectionHandoverSettings
{
    public ConnectionHandoverSettings(IOptions<ServiceManagerOptions> options, HandoverChannel channel) =>
        Enabled = options.Value.HandOverConnections && channel.IsPresent;

    public bool Enabled { get; }
}
