using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.AspNetCore.Tests.Infrastructure;

/// <summary>An answer to GET /: the body where the status was 200, else what went wrong; <paramref name="At"/> is when it was asked (local time, as fdpass hold logs).</summary>
internal readonly record struct Answer(bool Ok, string Body, DateTime At = default)
{
    public override string ToString() => $"{At.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture)} {(Ok ? "ok" : "FAILED")}: {Body}";
}

/// <summary>Plain HTTP/1.1 over a new loopback connection per request, so every request meets the listener.</summary>
internal static class Http
{
    private static readonly byte[] Request = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");

    public static async Task<Socket> ConnectAsync(int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends GET / on a connected socket and reads the answer to its end (at most 20 s).</summary>
    public static async Task<Answer> SendAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await socket.SendAsync(Request, SocketFlags.None, timeout.Token);
            var answer = new StringBuilder();
            byte[] buffer = new byte[4096];
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
            {
                answer.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
            string text = answer.ToString();
            int body = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            bool ok = text.StartsWith("HTTP/1.1 200 OK", StringComparison.Ordinal) && body > 0;
            if (!ok)
            {
                return new Answer(false, "answered: " + text);
            }
            string content = text[(body + 4)..];
            return new Answer(true, text[..body].Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase) ? Unchunk(content) : content.Trim());
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return new Answer(false, e.GetType().Name + ": " + e.Message);
        }
    }

    private static string Unchunk(string content)
    {
        var body = new StringBuilder();
        int at = 0;
        while (true)
        {
            int end = content.IndexOf("\r\n", at, StringComparison.Ordinal);
            int size = end < 0 ? 0 : int.Parse(content.AsSpan(at, end - at), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            if (size == 0)
            {
                return body.ToString();
            }
            body.Append(content, end + 2, size);
            at = end + 2 + size + 2;
        }
    }

    public static async Task<Answer> GetAsync(int port)
    {
        DateTime at = DateTime.Now;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            using Socket socket = await ConnectAsync(port, timeout.Token);
            return await SendAsync(socket) with { At = at };
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return new Answer(false, "connect: " + e.Message, at);
        }
    }

    /// <summary>
    /// <paramref name="clients"/> loops of GET / until <paramref name="stop"/>, or until <paramref name="bound"/> has
    /// passed, so a test that fails early never leaves it running; every answer is collected. The bound must be longer
    /// than the test could take on a busy machine: a load that has stopped by itself makes no more requests.
    /// </summary>
    public static Task Load(int port, int clients, ConcurrentQueue<Answer> answers, TimeSpan bound, CancellationToken stop)
    {
        var limit = CancellationTokenSource.CreateLinkedTokenSource(stop);
        limit.CancelAfter(bound);
        return Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            while (!limit.IsCancellationRequested)
            {
                answers.Enqueue(await GetAsync(port));
            }
        }))).ContinueWith(_ => limit.Dispose(), TaskScheduler.Default);
    }

    /// <summary>"gen N pid P conn-requests K" → (N, P).</summary>
    public static (int Generation, int Pid) Parse(string body)
    {
        string[] words = body.Split(' ');
        Assert.True(words.Length >= 6 && words[0] == "gen" && words[2] == "pid" && words[4] == "conn-requests", $"not an answer of the sample: {body}");
        return (int.Parse(words[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(words[3], System.Globalization.CultureInfo.InvariantCulture));
    }
}
