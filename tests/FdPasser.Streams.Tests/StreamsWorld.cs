using System;
using FdPasser.Interop;
using FdPasser.Streams.Tests.Simulation;

namespace FdPasser.Streams.Tests;

/// <summary>A simulated illumos with a server process (uid 501, gid 20) and a client process (uid 1001, gid 100).</summary>
internal sealed class StreamsWorld
{
    public StreamsWorld()
    {
        Server = Kernel.Process(501, 20);
        Client = Kernel.Process(1001, 100);
        ServerTransport = new StreamsTransport<IllumosX64.Abi>(Server);
        ClientTransport = new StreamsTransport<IllumosX64.Abi>(Client);
    }

    public SimulatedStreams Kernel { get; } = new();

    public SimulatedProcess Server { get; }

    public SimulatedProcess Client { get; }

    public StreamsTransport ServerTransport { get; }

    public StreamsTransport ClientTransport { get; }

    public static string NewPath() => "/tmp/fdpasser-" + Guid.NewGuid().ToString("N");
}
