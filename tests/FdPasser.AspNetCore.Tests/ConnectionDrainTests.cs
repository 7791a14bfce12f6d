using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.AspNetCore.Draining;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FdPasser.AspNetCore.Tests;

/// <summary>The handoff's wait for accepted connections, against a listener whose accept the test completes.</summary>
public sealed class ConnectionDrainTests
{
    /// <summary>An accept that completes when the test says, whatever its token: as the kernel's accept that had
    /// already taken a connection from the backlog when the drain cancelled it.</summary>
    private sealed class HeldAccept : IConnectionListener
    {
        public TaskCompletionSource<ConnectionContext?> Next { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public EndPoint EndPoint => new IPEndPoint(IPAddress.Loopback, 0);

        public ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default) => new(Next.Task);

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_connection_accepted_as_the_drain_begins_is_waited_for_until_its_first_request()
    {
        using var drain = new ConnectionDrain();
        var inner = new HeldAccept();
        var listener = new DrainingListener(inner, drain);
        ValueTask<ConnectionContext?> accepting = listener.AcceptAsync(TestContext.Current.CancellationToken);

        drain.StopAccepting();
        Task<int> wait = drain.WaitForFirstRequestsAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.False(wait.IsCompleted, "the drain ended while an accept was still under way");

        // Kestrel gets the connection, but runs its connection middleware (which would count it) only later.
        inner.Next.SetResult(new DefaultConnectionContext("accepted-late"));
        ConnectionContext? connection = await accepting;
        Assert.Equal("accepted-late", connection?.ConnectionId);
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.False(wait.IsCompleted, "the drain ended while an accepted connection had not begun its request");
        Assert.Equal(1, drain.Waiting);

        drain.RequestBegun("accepted-late");
        Assert.Equal(0, await wait.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task After_the_drain_began_an_accept_returns_nothing_and_the_drain_does_not_wait()
    {
        using var drain = new ConnectionDrain();
        var listener = new DrainingListener(new HeldAccept(), drain);
        drain.StopAccepting();

        Assert.Null(await listener.AcceptAsync(TestContext.Current.CancellationToken));
        Assert.Equal(0, await drain.WaitForFirstRequestsAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_connection_closed_without_the_connection_middleware_running_is_no_longer_counted()
    {
        using var drain = new ConnectionDrain();
        var inner = new HeldAccept();
        var listener = new DrainingListener(inner, drain);
        using var closed = new CancellationTokenSource();
        ValueTask<ConnectionContext?> accepting = listener.AcceptAsync(TestContext.Current.CancellationToken);
        inner.Next.SetResult(new DefaultConnectionContext("refused") { ConnectionClosed = closed.Token });
        Assert.Equal("refused", (await accepting)?.ConnectionId);
        Assert.Equal(1, drain.Waiting);

        // What Kestrel does with a connection over MaxConcurrentConnections: it closes it, and the connection
        // middleware that counts connections out never runs for it.
        closed.Cancel();
        Assert.Equal(0, drain.Waiting);
        drain.StopAccepting();
        Assert.Equal(0, await drain.WaitForFirstRequestsAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_socket_connection_disposed_as_Kestrel_disposes_one_it_refuses_is_no_longer_counted()
    {
        using var drain = new ConnectionDrain();
        var sockets = new SocketTransportFactory(Options.Create(new SocketTransportOptions()), NullLoggerFactory.Instance);
        IConnectionListener inner = await sockets.BindAsync(new IPEndPoint(IPAddress.Loopback, 0), TestContext.Current.CancellationToken);
        await using (inner)
        {
            var listener = new DrainingListener(inner, drain);
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(inner.EndPoint, TestContext.Current.CancellationToken);
            ConnectionContext? connection = await listener.AcceptAsync(TestContext.Current.CancellationToken);
            Assert.NotNull(connection);
            Assert.Equal(1, drain.Waiting);

            // Kestrel's connection limit disposes a connection over MaxConcurrentConnections and returns: the
            // connection middleware never sees it. Its close is reported on the thread pool.
            await connection.DisposeAsync();
            for (int i = 0; i < 400 && drain.Waiting > 0; i++)
            {
                await Task.Delay(25, TestContext.Current.CancellationToken);
            }
            Assert.Equal(0, drain.Waiting);
        }
    }
}
