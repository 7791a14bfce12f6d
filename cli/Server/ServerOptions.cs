using System.Collections.Generic;

namespace FdPasser.Cli.Server;

/// <summary>What an open server serves, and to whom.</summary>
internal sealed class ServerOptions
{
    /// <summary>The user ids whose connections are accepted; others are refused as soon as they connect.</summary>
    public required IReadOnlySet<uint> AllowedUids { get; init; }

    /// <summary>How long a connected client may take to send a whole request.</summary>
    public System.TimeSpan RequestTimeout { get; init; } = System.TimeSpan.FromSeconds(10);

    /// <summary>How many connections are served at once; further clients wait in the listen backlog.</summary>
    public int MaxConnections { get; init; } = ConnectionLimit.DefaultMaximum;
}
