using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.AspNetCore.Tests.Infrastructure;

/// <summary>One request's outcome on a persistent connection: <paramref name="Body"/> where it was answered 200, else what went wrong.</summary>
internal readonly record struct KeepAliveAnswer(bool Ok, string Body, int Connection, DateTime At)
{
    public override string ToString() => $"{At.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)} conn {Connection} {(Ok ? "ok" : "FAILED")}: {Body}";
}

/// <summary>
/// A client of its own on one persistent HTTP/1.1 connection (raw socket): GET / and POST / with a body, in turn,
/// as a proxy's upstream pool would. A request without a complete response is a failure and is not retried; the
/// connection is opened again only after that, or after a response that said Connection: close (each counted as a
/// reconnect).
/// </summary>
internal sealed class KeepAliveClient : IDisposable
{
    private readonly int _port;
    private readonly byte[] _buffer = new byte[16 * 1024];
    private readonly List<byte> _pending = new();
    private Socket? _socket;
    private int _sent;

    public KeepAliveClient(int port) => _port = port;

    /// <summary>Connections opened after the first.</summary>
    public int Reconnects { get; private set; }

    public int Connection { get; private set; }

    public async Task<KeepAliveAnswer> SendAsync(CancellationToken cancellationToken)
    {
        DateTime at = DateTime.Now;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            if (_socket is null)
            {
                if (Connection > 0)
                {
                    Reconnects++;
                }
                Connection++;
                _pending.Clear();
                _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await _socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _port), timeout.Token);
            }
            _sent++;
            string body = $"post {_sent} " + new string('x', _sent % 200);
            string request = _sent % 2 == 0
                ? $"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\n\r\n{body}"
                : "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
            await _socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, timeout.Token);
            (int status, bool close, string text) = await ReadResponseAsync(_socket, timeout.Token);
            if (close)
            {
                Drop();
            }
            if (status != 200)
            {
                return new KeepAliveAnswer(false, $"status {status}: {text}", Connection, at);
            }
            if (_sent % 2 == 0 && !text.EndsWith($" body {body.Length}", StringComparison.Ordinal))
            {
                return new KeepAliveAnswer(false, $"POST of {body.Length} bytes answered: {text}", Connection, at);
            }
            return new KeepAliveAnswer(true, text, Connection, at);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException or FormatException)
        {
            Drop();
            return new KeepAliveAnswer(false, e.GetType().Name + ": " + e.Message, Connection, at);
        }
    }

    private async Task<(int Status, bool Close, string Body)> ReadResponseAsync(Socket socket, CancellationToken cancellationToken)
    {
        string head = Encoding.ASCII.GetString((await ReadUntilAsync(socket, "\r\n\r\n"u8.ToArray(), cancellationToken)).ToArray());
        string[] lines = head.Split("\r\n");
        string[] status = lines[0].Split(' ');
        if (status.Length < 2 || status[0] != "HTTP/1.1")
        {
            throw new FormatException("not an HTTP/1.1 status line: " + lines[0]);
        }
        long? length = null;
        bool chunked = false;
        bool close = false;
        foreach (string line in lines[1..])
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }
            string name = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                length = long.Parse(value, CultureInfo.InvariantCulture);
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                chunked = value.Contains("chunked", StringComparison.OrdinalIgnoreCase);
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                close = value.Contains("close", StringComparison.OrdinalIgnoreCase);
            }
        }
        var body = new List<byte>();
        if (chunked)
        {
            while (true)
            {
                string size = Encoding.ASCII.GetString((await ReadUntilAsync(socket, "\r\n"u8.ToArray(), cancellationToken)).ToArray());
                int n = int.Parse(size.Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (n == 0)
                {
                    await ReadUntilAsync(socket, "\r\n"u8.ToArray(), cancellationToken); // no trailers from the sample
                    break;
                }
                body.AddRange(await ReadExactlyAsync(socket, n + 2, cancellationToken));
                body.RemoveRange(body.Count - 2, 2);
            }
        }
        else if (length is long l)
        {
            body.AddRange(await ReadExactlyAsync(socket, (int)l, cancellationToken));
        }
        else
        {
            throw new FormatException("a keep-alive response without Content-Length or chunked encoding: " + head);
        }
        return (int.Parse(status[1], CultureInfo.InvariantCulture), close, Encoding.ASCII.GetString(body.ToArray()));
    }

    private async Task<List<byte>> ReadUntilAsync(Socket socket, byte[] end, CancellationToken cancellationToken)
    {
        while (true)
        {
            int at = IndexOf(_pending, end);
            if (at >= 0)
            {
                List<byte> taken = _pending.GetRange(0, at);
                _pending.RemoveRange(0, at + end.Length);
                return taken;
            }
            await FillAsync(socket, cancellationToken);
        }
    }

    private async Task<List<byte>> ReadExactlyAsync(Socket socket, int count, CancellationToken cancellationToken)
    {
        while (_pending.Count < count)
        {
            await FillAsync(socket, cancellationToken);
        }
        List<byte> taken = _pending.GetRange(0, count);
        _pending.RemoveRange(0, count);
        return taken;
    }

    private async Task FillAsync(Socket socket, CancellationToken cancellationToken)
    {
        int n = await socket.ReceiveAsync(_buffer, SocketFlags.None, cancellationToken);
        if (n == 0)
        {
            throw new IOException($"the server closed the connection with {_pending.Count} bytes of a response");
        }
        for (int i = 0; i < n; i++)
        {
            _pending.Add(_buffer[i]);
        }
    }

    private static int IndexOf(List<byte> data, byte[] pattern)
    {
        for (int i = 0; i + pattern.Length <= data.Count; i++)
        {
            int j = 0;
            while (j < pattern.Length && data[i + j] == pattern[j])
            {
                j++;
            }
            if (j == pattern.Length)
            {
                return i;
            }
        }
        return -1;
    }

    private void Drop()
    {
        _socket?.Dispose();
        _socket = null;
    }

    public void Dispose() => Drop();
}

/// <summary>Several <see cref="KeepAliveClient"/>s in loops with 0–50 ms pauses, each answer collected.</summary>
internal sealed class KeepAliveLoad
{
    private readonly List<KeepAliveClient> _clients = new();
    private readonly List<(int Client, KeepAliveAnswer Answer)> _answers = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;
    private int _stopped;

    public IReadOnlyList<(int Client, KeepAliveAnswer Answer)> Answers
    {
        get
        {
            lock (_answers)
            {
                return _answers.ToArray();
            }
        }
    }

    public int Reconnects => _clients.Sum(c => c.Reconnects);

    public int Count
    {
        get
        {
            lock (_answers)
            {
                return _answers.Count;
            }
        }
    }

    /// <summary>Starts <paramref name="clients"/> loops; they stop at <see cref="StopAsync"/> or after <paramref name="bound"/>.</summary>
    public void Start(int port, int clients, TimeSpan bound)
    {
        _stop.CancelAfter(bound);
        var loops = new List<Task>();
        for (int i = 0; i < clients; i++)
        {
            var client = new KeepAliveClient(port);
            _clients.Add(client);
            int index = i;
            loops.Add(Task.Run(async () =>
            {
                var random = new Random(index);
                while (!_stop.IsCancellationRequested)
                {
                    KeepAliveAnswer answer = await client.SendAsync(CancellationToken.None);
                    lock (_answers)
                    {
                        _answers.Add((index, answer));
                    }
                    try
                    {
                        await Task.Delay(random.Next(0, 51), _stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            }));
        }
        _running = Task.WhenAll(loops);
    }

    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }
        await _stop.CancelAsync();
        await _running;
        foreach (KeepAliveClient c in _clients)
        {
            c.Dispose();
        }
        _stop.Dispose();
    }

    public string Failures(int max = 20) =>
        string.Join('\n', Answers.Where(a => !a.Answer.Ok).Take(max).Select(a => $"client {a.Client}: {a.Answer}"));
}
