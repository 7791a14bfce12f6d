using System;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using FdPasser.Handover;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FdPasser.AspNetCore.Tests;

/// <summary>Several offers per drain: idle connections go at once, a busy one follows when its response is written.</summary>
public sealed partial class ConnectionHandoverTests
{
    [Fact]
    public async Task A_connection_busy_at_the_drain_follows_in_a_later_offer_and_idle_ones_do_not_wait_for_it()
    {
        var ct = TestContext.Current.CancellationToken;
        var begun = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Slow(WebApplication app, string name) => app.MapGet("/slow", async (HttpContext context) =>
        {
            begun.TrySetResult();
            await release.Task;
            return $"{name} conn-requests {Count(context)} slow";
        });
        using Socket listener = Listen();
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        (HandoverSender sender, HandoverReceiver receiver) = HandoverSender.CreatePair();
        await using WebApplication a = Host("A", listener, new PairChannel(sender, null), map: Slow);
        await a.StartAsync(ct);
        using var idle = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var busy = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await idle.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
        await busy.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
        Assert.Contains("A conn-requests 1", await ExchangeAsync(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.Contains("A conn-requests 1", await ExchangeAsync(busy, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        Task<string> slow = ExchangeAsync(busy, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        await begun.Task.WaitAsync(ct);

        using Socket again = await DuplicateAsync(listener);
        await using WebApplication b = Host("B", again, new PairChannel(null, receiver), map: Slow);
        await b.StartAsync(ct);
        Task stopping = a.StopAsync(ct);
        // The idle connection is served by B while the busy one's request still runs in A (A answers until the
        // drain has parked it).
        string idleAnswer = "";
        for (int tries = 0; tries < 500 && !idleAnswer.Contains("B conn-requests", StringComparison.Ordinal); tries++)
        {
            idleAnswer = await ExchangeAsync(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.DoesNotContain("Connection: close", idleAnswer);
            await Task.Delay(10, ct);
        }
        Assert.Contains("B conn-requests 1", idleAnswer);
        Assert.False(slow.IsCompleted, "the slow request ended before it was released: " + (slow.IsCompleted ? await slow : ""));
        release.SetResult();
        string slowAnswer = await slow;
        Assert.Contains("A conn-requests 2 slow", slowAnswer);
        Assert.DoesNotContain("Connection: close", slowAnswer);
        // Its response written, the busy connection parks at its next boundary (a request the client sends at once
        // may still be A's) and goes over in an offer of its own, never told to close: then B serves it.
        string busyAnswer = "";
        for (int tries = 0; tries < 500 && !busyAnswer.Contains("B conn-requests", StringComparison.Ordinal); tries++)
        {
            busyAnswer = await ExchangeAsync(busy, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.DoesNotContain("Connection: close", busyAnswer);
            await Task.Delay(10, ct);
        }
        Assert.Contains("B conn-requests 1", busyAnswer);
        await stopping;
        Assert.Contains("B conn-requests 2", await ExchangeAsync(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        // B's drain keeps idle connections open until their clients go (no successor here): close them first.
        idle.Close();
        busy.Close();
        await b.StopAsync(ct);
    }
}
