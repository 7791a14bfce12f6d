using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.AspNetCore.Draining;
using FdPasser.AspNetCore.Handover;
using FdPasser.AspNetCore.Tests.Infrastructure;
using FdPasser.AspNetCore.Transport;
using FdPasser.Handover;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FdPasser.AspNetCore.Tests;

/// <summary>
/// Two hosts in this process on one listening socket, as two generations under a manager: the first hands its
/// keep-alive connections to the second over a connected sender/receiver pair when it stops.
/// </summary>
public sealed partial class ConnectionHandoverTests
{
    /// <summary>The channel a manager would offer: a successor for the old host, a predecessor for the new one.</summary>
    private sealed class PairChannel : HandoverChannel
    {
        private readonly HandoverSender? _successor;
        private readonly HandoverReceiver? _predecessor;

        public PairChannel(HandoverSender? successor, HandoverReceiver? predecessor)
            : base(null)
        {
            _successor = successor;
            _predecessor = predecessor;
        }

        public override bool IsPresent => true;

        public override ValueTask<HandoverSender?> WaitForSuccessorAsync(TimeSpan timeout, CancellationToken cancellationToken) => new(_successor);

        public override async IAsyncEnumerable<HandoverReceiver> ReceivePredecessorsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            if (_predecessor is not null)
            {
                yield return _predecessor;
            }
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
    }

    private static readonly List<string> Lines = new();

    private static string Log
    {
        get
        {
            lock (Lines)
            {
                return string.Join('\n', Lines.TakeLast(60));
            }
        }
    }

    private sealed class ListLoggerProvider(string host) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
            {
                Lines.Add($"{DateTime.Now:HH:mm:ss.fff} {host} {logLevel}: {formatter(state, exception)} {exception}");
            }
        }
    }

    private sealed class OneName : IListenerNames
    {
        public string? NameOf(ulong descriptor) => "web";
    }

    private static WebApplication Host(string name, Socket listener, HandoverChannel channel, Action<ServiceManagerOptions>? configure = null, Action<WebApplication, string>? map = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ListLoggerProvider(name));
        builder.Services.AddSingleton(channel);
        builder.Services.AddSingleton<IListenerNames>(new OneName());
        builder.Services.AddServiceManager(o =>
        {
            o.DrainTimeout = TimeSpan.FromSeconds(20);
            configure?.Invoke(o);
        });
        builder.WebHost.ConfigureKestrel(k => KestrelInheritedListenerExtensions.ListenDescriptor(
            k, k.ApplicationServices.GetRequiredService<ConnectionDrain>(), (ulong)listener.SafeHandle.DangerousGetHandle(), null));
        WebApplication app = builder.Build();
        app.MapGet("/", (HttpContext context) => $"{name} conn-requests {Count(context)}");
        app.MapPost("/", async (HttpContext context) =>
        {
            long length = 0;
            byte[] buffer = new byte[4096];
            int n;
            while ((n = await context.Request.Body.ReadAsync(buffer)) > 0)
            {
                length += n;
            }
            return $"{name} conn-requests {Count(context)} body {length}";
        });
        map?.Invoke(app, name);
        return app;
    }

    private static long Count(HttpContext context)
    {
        IDictionary<object, object?> items = context.Features.Get<IConnectionItemsFeature>()!.Items;
        long count = items.TryGetValue(typeof(ConnectionHandoverTests), out object? n) ? (long)n! + 1 : 1;
        items[typeof(ConnectionHandoverTests)] = count;
        return count;
    }

    private static Socket Listen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(512);
        return listener;
    }

    /// <summary>
    /// The listener again under another descriptor number, as the next generation gets it from the manager (one
    /// process's epoll takes a descriptor number once): passed through a handover pair of its own.
    /// </summary>
    private static async Task<Socket> DuplicateAsync(Socket listener)
    {
        (HandoverSender sender, HandoverReceiver receiver) = HandoverSender.CreatePair();
        using (sender)
        using (receiver)
        {
            ValueTask<HandoverPrepared> offering = sender.OfferAsync(new[] { new HandoverItem("listener", ReadOnlyMemory<byte>.Empty, listener.SafeHandle) }, TestContext.Current.CancellationToken);
            using HandoverOffer offer = await receiver.ReceiveOfferAsync(TestContext.Current.CancellationToken);
            var handle = offer.Items[0].TakeDescriptor(0);
            Task<bool> preparing = offer.PrepareAsync(null, TestContext.Current.CancellationToken).AsTask();
            Assert.True(await (await offering).CommitAsync(TestContext.Current.CancellationToken));
            Assert.True(await preparing);
            var socket = new SafeSocketHandle(handle.DangerousGetHandle(), ownsHandle: true);
            handle.SetHandleAsInvalid();
            return new Socket(socket);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, describe());
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task Keep_alive_connections_are_served_by_the_successor_without_a_failed_request_or_a_reconnect()
    {
        using Socket listener = Listen();
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        (HandoverSender sender, HandoverReceiver receiver) = HandoverSender.CreatePair();
        await using WebApplication a = Host("A", listener, new PairChannel(sender, null));
        await a.StartAsync(TestContext.Current.CancellationToken);
        var load = new KeepAliveLoad();
        load.Start(port, 16, TimeSpan.FromSeconds(120));
        try
        {
            await WaitUntilAsync(() => load.Count >= 300, TimeSpan.FromSeconds(60), () => $"the load made {load.Count} requests:\n{load.Failures()}");
            using Socket again = await DuplicateAsync(listener);
            await using WebApplication b = Host("B", again, new PairChannel(null, receiver));
            await b.StartAsync(TestContext.Current.CancellationToken);
            await a.StopAsync(TestContext.Current.CancellationToken);
            int before = load.Count;
            await WaitUntilAsync(() => Enumerable.Range(0, 16).All(c => load.Answers.Any(x => x.Client == c && x.Answer.Body.StartsWith("B ", StringComparison.Ordinal))),
                TimeSpan.FromSeconds(60), () => $"not every client was served by B:\n{load.Failures()}\nclient 0:\n{string.Join('\n', load.Answers.Where(x => x.Client == 0).TakeLast(8).Select(x => x.Answer))}\nlog:\n{Log}");
            await WaitUntilAsync(() => load.Count >= before + 300, TimeSpan.FromSeconds(60), () => $"the load made {load.Count - before} requests after the handover");
            await load.StopAsync();
            await b.StopAsync(TestContext.Current.CancellationToken);
        }
        finally
        {
            await load.StopAsync();
        }

        var answers = load.Answers;
        Assert.True(answers.All(x => x.Answer.Ok), $"{answers.Count(x => !x.Answer.Ok)} of {answers.Count} requests failed:\n{load.Failures()}");
        Assert.Equal(0, load.Reconnects);
        foreach (int client in Enumerable.Range(0, 16))
        {
            // One connection throughout: A answered on it, then B, and B's count on it starts where B took it over.
            var mine = answers.Where(x => x.Client == client).Select(x => x.Answer).ToArray();
            Assert.All(mine, x => Assert.Equal(1, x.Connection));
            int firstB = Array.FindIndex(mine, x => x.Body.StartsWith("B ", StringComparison.Ordinal));
            Assert.True(firstB > 0, $"client {client}: {string.Join('\n', mine.Take(5))}");
            Assert.All(mine[..firstB], x => Assert.StartsWith("A ", x.Body));
            Assert.All(mine[firstB..], x => Assert.StartsWith("B ", x.Body));
            Assert.StartsWith("B conn-requests 1", mine[firstB].Body);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Without_a_successor_keep_alive_clients_are_told_to_reconnect_and_lose_no_request(bool channel)
    {
        using Socket listener = Listen();
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        // With a channel but no successor (this package's transport), or with the handover turned off (Kestrel's).
        await using WebApplication a = Host("A", listener, new PairChannel(null, null), o => o.HandOverConnections = channel);
        await a.StartAsync(TestContext.Current.CancellationToken);
        var load = new KeepAliveLoad();
        load.Start(port, 16, TimeSpan.FromSeconds(120));
        try
        {
            await WaitUntilAsync(() => load.Count >= 300, TimeSpan.FromSeconds(60), () => $"the load made {load.Count} requests:\n{load.Failures()}");
            using Socket again = await DuplicateAsync(listener);
            await using WebApplication b = Host("B", again, new PairChannel(null, null), o => o.HandOverConnections = channel);
            await b.StartAsync(TestContext.Current.CancellationToken);
            Task stopping = a.StopAsync(TestContext.Current.CancellationToken);
            await WaitUntilAsync(() => Enumerable.Range(0, 16).All(c => load.Answers.Any(x => x.Client == c && x.Answer.Body.StartsWith("B ", StringComparison.Ordinal))),
                TimeSpan.FromSeconds(60), () => $"not every client was served by B:\n{load.Failures()}\nlog:\n{Log}");
            // A's drain ends once its connections are gone (each client was told to reconnect), not at its timeout.
            await stopping.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
            await load.StopAsync();
            await b.StopAsync(TestContext.Current.CancellationToken);
        }
        finally
        {
            await load.StopAsync();
        }

        var answers = load.Answers;
        Assert.True(answers.All(x => x.Answer.Ok), $"{answers.Count(x => !x.Answer.Ok)} of {answers.Count} requests failed:\n{load.Failures()}");
        Assert.Equal(16, load.Reconnects); // each client once, when A's response said Connection: close
    }

    [Fact]
    public async Task Bytes_of_a_request_begun_before_the_handover_travel_with_the_connection()
    {
        using Socket listener = Listen();
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        (HandoverSender sender, HandoverReceiver receiver) = HandoverSender.CreatePair();
        await using WebApplication a = Host("A", listener, new PairChannel(sender, null));
        await a.StartAsync(TestContext.Current.CancellationToken);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), TestContext.Current.CancellationToken);
        Assert.Contains("A conn-requests 1", await ExchangeAsync(client, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));

        // Half a request line, then a pause: A reads it, and Kestrel examines it without consuming it.
        await client.SendAsync("GET / HT"u8.ToArray(), SocketFlags.None, TestContext.Current.CancellationToken);
        await Task.Delay(300, TestContext.Current.CancellationToken);
        using Socket again = await DuplicateAsync(listener);
        await using WebApplication b = Host("B", again, new PairChannel(null, receiver));
        await b.StartAsync(TestContext.Current.CancellationToken);
        await a.StopAsync(TestContext.Current.CancellationToken);

        // The rest of the request goes to B, which has the first half from A's state.
        string answer = await ExchangeAsync(client, "TP/1.1\r\nHost: x\r\n\r\n");
        Assert.Contains("B conn-requests 1", answer);
        Assert.StartsWith("HTTP/1.1 200 ", answer);
        Assert.DoesNotContain("HTTP/1.1 400", answer); // A's Kestrel saw the end of its input mid-request line: nothing of it reaches the client
        client.Shutdown(SocketShutdown.Send);
        byte[] rest = new byte[4096];
        int more = await client.ReceiveAsync(rest, SocketFlags.None, TestContext.Current.CancellationToken);
        Assert.True(more == 0, "after its answer the client received: " + System.Text.Encoding.ASCII.GetString(rest, 0, more));
        await b.StopAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Sends <paramref name="request"/> and reads until a complete chunked or sized response (the apps answer small).</summary>
    private static async Task<string> ExchangeAsync(Socket client, string request)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await client.SendAsync(System.Text.Encoding.ASCII.GetBytes(request), SocketFlags.None, timeout.Token);
        var text = new System.Text.StringBuilder();
        byte[] buffer = new byte[4096];
        while (!(text.ToString().Contains("\r\n0\r\n\r\n", StringComparison.Ordinal)
            || (text.ToString().Contains("Content-Length:", StringComparison.Ordinal) && text.ToString().Contains("conn-requests", StringComparison.Ordinal))))
        {
            int n = await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            Assert.True(n > 0, $"the connection was closed after: {text}");
            text.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, n));
        }
        return text.ToString();
    }

    [Theory]
    [InlineData("/warm-up")]
    [InlineData(null)]
    public async Task A_warm_up_path_gets_one_request_through_the_generations_own_pipeline_before_its_start_returns(string? path)
    {
        using Socket listener = Listen();
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        (HandoverSender sender, HandoverReceiver receiver) = HandoverSender.CreatePair();
        using (sender)
        {
            await using WebApplication a = Host("A", listener, new PairChannel(null, receiver), o => o.WarmUpPath = path);
            var hits = new List<string>();
            a.MapGet("/warm-up", (HttpContext context) =>
            {
                lock (hits)
                {
                    hits.Add($"{context.Connection.RemoteIpAddress} {context.Request.Headers.Connection}");
                }
                return "warm";
            });
            await a.StartAsync(TestContext.Current.CancellationToken);
            lock (hits)
            {
                // Before READY=1 (the end of the start), from a loopback connection of its own that asked to close.
                Assert.Equal(path is null ? Array.Empty<string>() : new[] { "127.0.0.1 close" }, hits.ToArray());
            }
            // The shared listener served as before and saw no warm-up request.
            using var client = new KeepAliveClient(port);
            Assert.StartsWith("A conn-requests 1", (await client.SendAsync(TestContext.Current.CancellationToken)).Body);
            lock (hits)
            {
                Assert.Equal(path is null ? 0 : 1, hits.Count);
            }
            await a.StopAsync(TestContext.Current.CancellationToken);
        }
    }
}
