using System;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Cli.Tests.Infrastructure;
using FdPasser.TestSupport;

namespace FdPasser.Cli.Tests;

/// <summary>
/// Raw-socket clients that break the protocol on purpose. After each one the server is still running, answers
/// a well-formed request correctly, and holds no more descriptors than it did before the hostile client came.
/// </summary>
public sealed class HostileClientTests : IDisposable
{
    private const string Hello = "hello through a passed descriptor\n";

    private readonly TempTree _tree = new();
    private ServeProcess? _server;
    private string[] _baseline = Array.Empty<string>();

    public void Dispose()
    {
        _server?.Dispose();
        _tree.Dispose();
    }

    private ServeProcess Start(params string[] options)
    {
        _server = ServeProcess.Start(_tree.Endpoint, new[] { "--root", _tree.Root }.Concat(options).ToArray());
        Assert.Equal(Hello, RawClient.Fetch(_tree.Endpoint, "hello.txt"));
        _baseline = _server.SteadyDescriptors();
        return _server;
    }

    /// <summary>The server is up, serves a well-formed request correctly, and is back at its descriptor baseline.</summary>
    private void AssertStillServing()
    {
        Assert.NotNull(_server);
        Assert.False(_server.HasExited, "fdpass serve exited: " + _server.Errors);
        Assert.Equal(Hello, RawClient.Fetch(_tree.Endpoint, "hello.txt"));
        _server.AssertDescriptorsBackTo(_baseline);
        Assert.Equal("", _server.Errors);
    }

    [Fact]
    public void Garbage_is_refused_with_EINVAL_and_the_connection_closed()
    {
        Start();
        var random = new Random(20240601);
        for (int round = 0; round < 20; round++)
        {
            byte[] garbage = new byte[random.Next(1, 3000)];
            random.NextBytes(garbage);
            garbage[0] = (byte)'x'; // never the start of "open "
            garbage[random.Next(garbage.Length)] = 0;
            using FdChannel channel = RawClient.Connect(_tree.Endpoint);
            channel.SendRaw(garbage, ReadOnlySpan<int>.Empty);

            FdPeerErrorException e = Assert.Throws<FdPeerErrorException>(() => channel.ReceiveDescriptor());
            Assert.Equal(Errno.EINVAL, e.ErrorCode);
            Assert.True(RawClient.ClosedByServer(channel), "the server kept a connection that sent garbage");
        }
        AssertStillServing();
    }

    [Fact]
    public void A_request_that_is_not_UTF8_is_refused_with_EINVAL()
    {
        Start();

        FdPeerErrorException e = RawClient.Refusal(_tree.Endpoint, new byte[] { (byte)'o', (byte)'p', (byte)'e', (byte)'n', (byte)' ', 0xff, 0xfe, (byte)' ', (byte)'0', 0 });

        Assert.Equal(Errno.EINVAL, e.ErrorCode);
        Assert.Equal("the request is not valid UTF-8", e.PeerMessage);
        AssertStillServing();
    }

    [Fact]
    public void A_client_that_closes_in_the_middle_of_a_request_is_logged_and_forgotten()
    {
        ServeProcess server = Start();
        using (FdChannel channel = RawClient.Connect(_tree.Endpoint))
        {
            channel.SendRaw("open hello.txt"u8, ReadOnlySpan<int>.Empty);
        }

        server.AssertLogged("the client closed the connection in the middle of a request");
        AssertStillServing();
    }

    [Fact]
    public void A_request_with_no_terminator_is_dropped_at_the_request_timeout_while_its_client_still_holds_the_connection()
    {
        ServeProcess server = Start("--request-timeout", "1");
        using FdChannel channel = RawClient.Connect(_tree.Endpoint);
        channel.SendRaw("open hello.txt 0"u8, ReadOnlySpan<int>.Empty);

        Assert.True(RawClient.ClosedByServer(channel), "the server did not close the connection");
        server.AssertLogged("no complete request within 1 s; closed the connection");
        AssertStillServing(); // the client still holds its end: the server's end is closed all the same
    }

    [Fact]
    public async Task Silent_and_half_sent_clients_hold_their_connections_while_others_are_served()
    {
        Start("--request-timeout", "30");
        using FdChannel silent = RawClient.Connect(_tree.Endpoint);
        using FdChannel halfSent = RawClient.Connect(_tree.Endpoint);
        halfSent.SendRaw("open hel"u8, ReadOnlySpan<int>.Empty);

        // Well within the 30 s the held connections are given: a server busy with them would time these out.
        string[] others = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => RawClient.Fetch(_tree.Endpoint, "hello.txt"), TestContext.Current.CancellationToken)))
            .WaitAsync(TestTiming.Seconds(20), TestContext.Current.CancellationToken);
        Assert.All(others, text => Assert.Equal(Hello, text));

        // The held connections were kept, the half-sent request with them: both are served when they go on.
        halfSent.SendRaw("lo.txt 0\0"u8, ReadOnlySpan<int>.Empty);
        using (var stream = FdHandles.ToFileStream(halfSent.ReceiveDescriptor()))
        {
            Assert.Equal(Hello, new System.IO.StreamReader(stream).ReadToEnd());
        }
        Assert.Equal(Hello, RawClient.Fetch(silent, "hello.txt"));
        silent.Dispose();
        halfSent.Dispose();
        AssertStillServing();
    }

    [Fact]
    public async Task An_endless_request_is_cut_off_at_4096_bytes_and_refused()
    {
        Start();
        using FdChannel channel = RawClient.Connect(_tree.Endpoint);
        byte[] chunk = Encoding.ASCII.GetBytes("open " + new string('a', 65536 - 5));
        Task flood = Task.Run(() =>
        {
            try
            {
                for (int i = 0; i < 16; i++) // 1 MiB without a NUL
                {
                    channel.SendRaw(chunk, ReadOnlySpan<int>.Empty);
                    chunk[0] = (byte)'a';
                }
            }
            catch (FdPassingException)
            {
                // EPIPE: the server closed the connection, as it should.
            }
        }, TestContext.Current.CancellationToken);

        FdPeerErrorException e = Assert.Throws<FdPeerErrorException>(() => channel.ReceiveDescriptor());
        Assert.Equal(Errno.EINVAL, e.ErrorCode);
        Assert.Equal("the request is longer than 4096 bytes", e.PeerMessage);
        await flood.WaitAsync(TestTiming.Seconds(15), TestContext.Current.CancellationToken); // stopped by the server closing the connection
        AssertStillServing();
    }

    public static TheoryData<int> OneAndTheMostPerMessage => new() { 1, TargetFacts.MaxDescriptorsPerMessage };

    [Theory]
    [MemberData(nameof(OneAndTheMostPerMessage))]
    public void Descriptors_sent_unasked_are_closed_by_the_server_and_the_request_refused(int count)
    {
        Start();
        var (sent, watcher) = FdChannel.CreatePair();
        using (watcher)
        {
            using (sent)
            {
                var handles = new SafeHandle[count];
                Array.Fill(handles, sent.SafeHandle);
                using FdChannel channel = RawClient.Connect(_tree.Endpoint);
                channel.SendRaw("open hello.txt 0\0"u8, handles);

                FdPeerErrorException e = Assert.Throws<FdPeerErrorException>(() => channel.ReceiveDescriptor());
                Assert.Equal(Errno.EINVAL, e.ErrorCode);
                Assert.StartsWith("descriptors sent with a request are not accepted", e.PeerMessage, StringComparison.Ordinal);
            }
            // Our own end is closed too: the watcher sees end of stream only once no copy is open anywhere.
            watcher.Timeout = TestTiming.Seconds(15);
            using FdMessage end = watcher.ReceiveRaw(16, 0);
            Assert.Equal(0, end.Payload.Length);
        }
        AssertStillServing();
    }

    [Fact]
    public void Descriptors_sent_in_the_middle_of_a_request_are_closed_and_the_request_refused()
    {
        Start();
        var (sent, watcher) = FdChannel.CreatePair();
        using (watcher)
        {
            using (sent)
            {
                using FdChannel channel = RawClient.Connect(_tree.Endpoint);
                channel.SendRaw("open hel"u8, ReadOnlySpan<int>.Empty);
                Thread.Sleep(100);
                channel.SendRaw("lo.txt 0\0"u8, new SafeHandle[] { sent.SafeHandle });

                FdPeerErrorException e = Assert.Throws<FdPeerErrorException>(() => channel.ReceiveDescriptor());
                Assert.Equal(Errno.EINVAL, e.ErrorCode);
            }
            watcher.Timeout = TestTiming.Seconds(15);
            using FdMessage end = watcher.ReceiveRaw(16, 0);
            Assert.Equal(0, end.Payload.Length);
        }
        AssertStillServing();
    }

    [Fact]
    public void Clients_that_connect_and_leave_at_once_or_before_their_answer_do_not_disturb_the_server()
    {
        ServeProcess server = Start();
        for (int i = 0; i < 20; i++)
        {
            RawClient.Connect(_tree.Endpoint).Dispose();
            using FdChannel channel = RawClient.Connect(_tree.Endpoint);
            channel.SendRaw("open hello.txt 0\0"u8, ReadOnlySpan<int>.Empty);
        }

        server.AssertLogged("open 'hello.txt' O_RDONLY:", count: 21);
        AssertStillServing();
    }

    [Fact]
    public void A_client_that_sends_requests_and_never_reads_the_answers_is_dropped_at_the_request_timeout()
    {
        ServeProcess server = Start("--request-timeout", "1");
        using FdChannel channel = RawClient.Connect(_tree.Endpoint);
        byte[] requests = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("open hello.txt 0\0", 2000)));
        channel.SendRaw(requests, ReadOnlySpan<int>.Empty);

        // The server answers until the socket buffer is full, then gives up on the client instead of waiting forever.
        server.AssertLogged("did not take its answer within 1 s; closed the connection");
        AssertStillServing(); // the client still holds its end, with its answers unread
    }

    [Fact]
    public void A_path_cannot_forge_log_lines()
    {
        ServeProcess server = Start();
        const string Forged = "2000-01-01T00:00:00.000 pid 1 uid 0: open 'secret' O_RDONLY: passed descriptor";

        FdPeerErrorException e = RawClient.Refusal(_tree.Endpoint, Encoding.UTF8.GetBytes($"open x\n{Forged}\r\u2028y 0\0"));

        Assert.Equal(Errno.ENOENT, e.ErrorCode);
        server.AssertLogged("open 'x\\n2000-01-01T00:00:00.000 pid 1 uid 0: open 'secret' O_RDONLY: passed descriptor\\r\\u2028y' O_RDONLY: refused (ENOENT:");
        Assert.DoesNotContain(server.Log, l => l.StartsWith("2000-", StringComparison.Ordinal) || l.Contains('\r', StringComparison.Ordinal) || l.Contains('\u2028', StringComparison.Ordinal));
        AssertStillServing();
    }

    [Fact]
    public void A_path_cannot_hide_behind_format_characters_in_the_log()
    {
        ServeProcess server = Start();
        // A right-to-left override, zero-width space, BOM, an isolate and a tag character (outside the BMP).
        const string Path = "x\u202Etxt.exe\u200B\uFEFF\u2066\U000E0041";

        FdPeerErrorException e = RawClient.Refusal(_tree.Endpoint, Encoding.UTF8.GetBytes($"open {Path} 0\0"));

        Assert.Equal(Errno.ENOENT, e.ErrorCode);
        server.AssertLogged("open 'x\\u202etxt.exe\\u200b\\ufeff\\u2066\\U000e0041' O_RDONLY: refused (ENOENT:");
        Assert.DoesNotContain(server.Log, l => l.EnumerateRunes().Any(r => Rune.GetUnicodeCategory(r) == System.Globalization.UnicodeCategory.Format));
        AssertStillServing();
    }
}
