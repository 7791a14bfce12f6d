using System;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using FdPasser.AspNetCore.Draining;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace FdPasser.AspNetCore.Tests;

public sealed partial class ConnectionHandoverTests
{
    /// <summary>
    /// A response whose headers went out before the drain began cannot say Connection: close any more; ending its
    /// connection after it anyway would meet the client's next request with a close. The connection must stay open
    /// until that next request, whose response says Connection: close.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_response_begun_before_the_drain_is_not_followed_by_a_close_its_client_was_not_told_of(bool channel)
    {
        using Socket listener = Listen();
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using WebApplication a = Host("A", listener, new PairChannel(null, null), o => o.HandOverConnections = channel, (app, name) =>
            app.MapGet("/slow", async (HttpContext context) =>
            {
                string body = $"{name} conn-requests {Count(context)} slow";
                context.Response.ContentLength = body.Length;
                await context.Response.StartAsync();
                await context.Response.Body.FlushAsync();
                started.TrySetResult();
                await release.Task;
                await context.Response.WriteAsync(body);
            }));
        await a.StartAsync(TestContext.Current.CancellationToken);
        ConnectionDrain drain = a.Services.GetRequiredService<ConnectionDrain>();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), TestContext.Current.CancellationToken);

        Task<string> slow = ExchangeAsync(client, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Task stopping = a.StopAsync(TestContext.Current.CancellationToken);
        await WaitUntilAsync(() => drain.IsClosing, TimeSpan.FromSeconds(30), () => "the drain did not begin closing");
        release.SetResult();
        string first = await slow;
        Assert.DoesNotContain("Connection: close", first, StringComparison.OrdinalIgnoreCase);

        string second = await ExchangeAsync(client, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.Contains("A conn-requests 2", second, StringComparison.Ordinal);
        Assert.Contains("Connection: close", second, StringComparison.OrdinalIgnoreCase);
        await stopping.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
    }
}
