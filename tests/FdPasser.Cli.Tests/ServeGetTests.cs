using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using FdPasser.Cli.Tests.Infrastructure;
using FdPasser.TestSupport;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Cli.Tests;

public sealed class ServeGetTests
{
    [Fact]
    public void Get_copies_the_served_file_to_stdout_and_the_server_logs_the_peer()
    {
        using var tree = new TempTree();
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root);

        RunResult get = Fdpass.Run("get", tree.Endpoint, "hello.txt");

        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal("hello through a passed descriptor\n", get.Stdout);
        Assert.Equal("", get.Stderr);
        Assert.True(server.WaitForLog(l => l.Contains("open 'hello.txt' O_RDONLY: passed descriptor", StringComparison.Ordinal), TestTiming.Seconds(10)), string.Join('\n', server.Log));
        Assert.Contains(server.Log, l => l.Contains($"uid {Fdpass.OwnUid()}: open 'hello.txt'", StringComparison.Ordinal) && l.Contains(" pid ", StringComparison.Ordinal));
    }

    [Fact]
    public void A_refusal_prints_the_servers_message_on_stderr_and_exits_3()
    {
        using var tree = new TempTree();
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root);

        RunResult get = Fdpass.Run("get", tree.Endpoint, "../outside.txt");

        Assert.Equal(3, get.ExitCode);
        Assert.Equal("", get.Stdout);
        string line = Assert.Single(get.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("fdpass get: refused by the server: '../outside.txt' has a '..' component, which is not allowed (status 13, EACCES)", line);
        Assert.True(server.WaitForLog(l => l.Contains("open '../outside.txt' O_RDONLY: refused (EACCES:", StringComparison.Ordinal), TestTiming.Seconds(10)));
    }

    [Fact]
    public void A_missing_file_is_refused_with_ENOENT()
    {
        using var tree = new TempTree();
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root);

        RunResult get = Fdpass.Run("get", tree.Endpoint, "no-such-file");

        Assert.Equal(3, get.ExitCode);
        Assert.Contains("(status 2, ENOENT)", get.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void One_connection_can_carry_several_requests()
    {
        using var tree = new TempTree();
        File.WriteAllText(tree.InRoot("second.txt"), "second\n");
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root);
        using FdChannel channel = FdChannel.Connect(tree.Endpoint);
        channel.Timeout = TestTiming.Seconds(10);

        Assert.Equal("hello through a passed descriptor\n", Request(channel, "hello.txt"));
        Assert.Equal("second\n", Request(channel, "second.txt"));
        var refused = Assert.Throws<FdPeerErrorException>(() => Request(channel, "missing.txt"));
        Assert.Equal(Errno.ENOENT, refused.ErrorCode);
        Assert.Equal("hello through a passed descriptor\n", Request(channel, "hello.txt"));
    }

    [Fact]
    public async Task Many_clients_are_served_concurrently()
    {
        using var tree = new TempTree();
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root);
        // A client that connects and says nothing must not hold up the others.
        using FdChannel silent = FdChannel.Connect(tree.Endpoint);

        RunResult[] results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(() => Fdpass.Run("get", tree.Endpoint, "hello.txt"))));

        Assert.All(results, r => Assert.True(r.ExitCode == 0 && r.Stdout == "hello through a passed descriptor\n", r.ToString()));
        server.AssertLogged("open 'hello.txt' O_RDONLY: passed descriptor", count: 12);
    }

    [Fact]
    public void A_client_that_never_sends_a_request_is_disconnected_after_the_request_timeout()
    {
        using var tree = new TempTree();
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root, "--request-timeout", "0.5");
        using FdChannel silent = FdChannel.Connect(tree.Endpoint);
        silent.Timeout = TestTiming.Seconds(10);

        Assert.False(silent.TryReceiveDescriptor(out SafeFileHandle? handle)); // the server closed the connection
        Assert.Null(handle);
        Assert.True(server.WaitForLog(l => l.Contains("no complete request within 0.5 s", StringComparison.Ordinal), TestTiming.Seconds(10)));
    }

    [Fact]
    public async Task A_servers_message_cannot_put_control_characters_on_the_terminal()
    {
        using var tree = new TempTree();
        using FdListener listener = FdListener.Create(tree.Endpoint);
        Task hostile = Task.Run(async () =>
        {
            FdConnection connection = await listener.AcceptAsync(TestContext.Current.CancellationToken);
            using FdChannel channel = connection.Channel;
            using (FdMessage request = await channel.ReceiveRawAsync(4096, 0, TestContext.Current.CancellationToken))
            {
                Assert.NotEqual(0, request.Payload.Length);
            }
            channel.SendError(Errno.EACCES, "no\u001b]0;title\u0007\nfdpass get: a forged line\r");
        }, TestContext.Current.CancellationToken);

        RunResult get = Fdpass.Run("get", tree.Endpoint, "hello.txt");
        await hostile;

        Assert.Equal(3, get.ExitCode);
        string line = Assert.Single(get.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("fdpass get: refused by the server: no\\u001b]0;title\\u0007\\nfdpass get: a forged line\\r (status 13, EACCES)", line);
    }

    internal static string Request(FdChannel channel, string path, int flags = 0)
    {
        channel.SendRaw(Encoding.UTF8.GetBytes($"open {path} {flags}\0"), ReadOnlySpan<int>.Empty);
        using FileStream stream = FdHandles.ToFileStream(channel.ReceiveDescriptor());
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
