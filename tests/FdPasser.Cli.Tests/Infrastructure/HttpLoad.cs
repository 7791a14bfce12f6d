using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.Cli.Tests.Infrastructure;

/// <summary>One answered (or failed) request of <see cref="HttpLoad"/>.</summary>
internal readonly record struct HttpResult(bool Ok, string Body, double Milliseconds, long StartedAt);

/// <summary>
/// A bounded load on a loopback port: <c>clients</c> loops, each making a new connection per request
/// (GET /, read to the end), until stopped or <see cref="MaxDuration"/> has passed.
/// </summary>
internal sealed class HttpLoad : IDisposable
{
    public static readonly TimeSpan MaxDuration = TimeSpan.FromSeconds(120);

    private static readonly byte[] Request = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");

    private readonly CancellationTokenSource _stop = new(MaxDuration);
    private readonly ConcurrentQueue<HttpResult> _results = new();
    private readonly Task[] _clients;

    private HttpLoad(int port, int clients)
    {
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        _clients = Enumerable.Range(0, clients).Select(_ => Task.Run(() => RunClient(endpoint))).ToArray();
    }

    public static HttpLoad Start(int port, int clients = 16) => new(port, clients);

    public IReadOnlyCollection<HttpResult> Results => _results;

    public int Count => _results.Count;

    /// <summary>Stops the clients, waits for their last requests, and returns every result.</summary>
    public HttpResult[] Stop()
    {
        _stop.Cancel();
        Task.WaitAll(_clients, TimeSpan.FromSeconds(30));
        return _results.ToArray();
    }

    /// <summary>Waits until at least <paramref name="more"/> further requests have been answered.</summary>
    public void WaitFor(int more)
    {
        int target = _results.Count + more;
        var deadline = Stopwatch.StartNew();
        while (_results.Count < target && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(10);
        }
    }

    private async Task RunClient(IPEndPoint endpoint)
    {
        while (!_stop.IsCancellationRequested)
        {
            _results.Enqueue(await Once(endpoint).ConfigureAwait(false));
        }
    }

    /// <summary>One request on a new connection; at most 20 s (a restart in between makes it wait in the backlog).</summary>
    public static async Task<HttpResult> Once(IPEndPoint endpoint)
    {
        long start = Stopwatch.GetTimestamp();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
            await socket.SendAsync(Request, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            var answer = new List<byte>();
            byte[] buffer = new byte[4096];
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false)) > 0)
            {
                answer.AddRange(buffer.AsSpan(0, n).ToArray());
            }
            string text = Encoding.ASCII.GetString(answer.ToArray());
            int body = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            bool ok = text.StartsWith("HTTP/1.1 200 OK", StringComparison.Ordinal) && body > 0;
            return new HttpResult(ok, ok ? text.Substring(body + 4).Trim() : text, Stopwatch.GetElapsedTime(start).TotalMilliseconds, start);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return new HttpResult(false, e.GetType().Name + ": " + e.Message, Stopwatch.GetElapsedTime(start).TotalMilliseconds, start);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        Task.WaitAll(_clients, TimeSpan.FromSeconds(30));
        _stop.Dispose();
    }
}
