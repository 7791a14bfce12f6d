using System;
using System.IO;
using FdPasser.Cli.Tests.Infrastructure;

namespace FdPasser.Cli.Tests;

public sealed class SignalTests
{
    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public void A_signal_stops_the_server_cleanly_and_removes_the_socket_file(string signal)
    {
        using var tree = new TempTree();
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root);
        Assert.True(File.Exists(tree.Endpoint));
        // A connected client that sends nothing must not keep the server from stopping.
        using FdChannel idle = FdChannel.Connect(tree.Endpoint);

        int exitCode = server.Stop(signal);

        Assert.Equal(0, exitCode);
        Assert.False(File.Exists(tree.Endpoint), "the socket file is still there");
        Assert.Contains(server.Log, l => l.EndsWith($"stopped; removed {tree.Endpoint}", StringComparison.Ordinal));
        Assert.Equal("", server.Errors);
    }
}
