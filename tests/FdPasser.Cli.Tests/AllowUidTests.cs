using System;
using System.IO;
using System.Linq;
using FdPasser.Cli.Server;
using FdPasser.Cli.Tests.Infrastructure;
using FdPasser.TestSupport;

namespace FdPasser.Cli.Tests;

public sealed class AllowUidTests
{
    [Fact]
    public void A_peer_whose_uid_is_not_allowed_is_refused()
    {
        using var tree = new TempTree();
        uint other = Fdpass.OwnUid() == 4242 ? 4243u : 4242u;
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root, "--allow-uid", other.ToString(System.Globalization.CultureInfo.InvariantCulture));

        RunResult get = Fdpass.Run("get", tree.Endpoint, "hello.txt");

        Assert.Equal(3, get.ExitCode);
        Assert.Equal("", get.Stdout);
        Assert.Contains($"uid {Fdpass.OwnUid()} is not allowed to use this server (status 13, EACCES)", get.Stderr, StringComparison.Ordinal);
        server.AssertLogged($"uid {Fdpass.OwnUid()}: refused at connect (EACCES: uid {Fdpass.OwnUid()} is not allowed to use this server); closing the connection");
    }

    [Fact]
    public void A_refused_client_that_writes_its_request_a_moment_after_connecting_still_reads_the_refusal()
    {
        using var tree = new TempTree();
        uint other = Fdpass.OwnUid() == 4242 ? 4243u : 4242u;
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root, "--allow-uid", other.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // The send and receive paths compiled first, so that the client is late by the sleep below and not by its first
        // calls (under emulation those alone took longer than half a second).
        (FdChannel warmA, FdChannel warmB) = FdChannel.CreatePair();
        using (warmA)
        using (warmB)
        {
            warmB.Timeout = TimeSpan.FromSeconds(10);
            warmA.SendRaw("x"u8, ReadOnlySpan<int>.Empty);
            using (FdMessage raw = warmB.ReceiveRaw(1, 0))
            {
                Assert.Equal(1, raw.Payload.Length);
            }
            warmA.SendError(Errno.EACCES, "warm");
            Assert.Throws<FdPeerErrorException>(() => warmB.ReceiveDescriptor());
        }
        using FdChannel channel = FdChannel.Connect(tree.Endpoint);
        channel.Timeout = TimeSpan.FromSeconds(10);
        // The refusal is waited for on the socket itself, not in the server's log: the log reaches this process on the
        // thread pool, which other tests running beside this one can keep busy for seconds, and the client would be
        // late by that too.
        using (var socket = new System.Net.Sockets.Socket(new System.Net.Sockets.SafeSocketHandle(channel.Descriptor, ownsHandle: false)))
        {
            Assert.True(socket.Poll(TestTiming.Seconds(10), System.Net.Sockets.SelectMode.SelectRead), "no refusal came");
        }
        // A client more than half a second late (on a loaded or emulated machine a client can be), still well within the
        // 2 s the server waits for it.
        System.Threading.Thread.Sleep(600);

        channel.SendRaw("open hello.txt 0\0"u8, ReadOnlySpan<int>.Empty);
        FdPeerErrorException e = Assert.Throws<FdPeerErrorException>(() => channel.ReceiveDescriptor());

        Assert.Equal(Errno.EACCES, e.ErrorCode);
        Assert.Contains($"uid {Fdpass.OwnUid()} is not allowed to use this server", e.Message, StringComparison.Ordinal);
        server.AssertLogged("refused at connect");
    }

    [Fact]
    public void A_refused_peer_connecting_in_a_loop_adds_a_bounded_number_of_lines_and_one_count()
    {
        using var tree = new TempTree();
        uint own = Fdpass.OwnUid();
        uint other = own == 4242 ? 4243u : 4242u;
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root, "--allow-uid", other.ToString(System.Globalization.CultureInfo.InvariantCulture));
        const int Connections = 200;
        for (int i = 0; i < Connections; i++)
        {
            using FdChannel channel = FdChannel.Connect(tree.Endpoint);
        }

        // Every refusal is either one of the lines logged or counted in a line after its window ended (one window on
        // a quick machine; a slow one may take longer than a window to connect 200 times).
        string[] logged = Array.Empty<string>();
        int[] counts = Array.Empty<int>();
        DateTime deadline = DateTime.UtcNow + TestTiming.Seconds(30);
        while (DateTime.UtcNow < deadline)
        {
            string[] log = server.Log;
            logged = log.Where(l => l.Contains($"uid {own}: refused at connect", StringComparison.Ordinal)).ToArray();
            counts = log.Select(l => System.Text.RegularExpressions.Regex.Match(l, $@"uid {own}: refusals not logged one by one: (\d+) in "))
                .Where(m => m.Success)
                .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
                .ToArray();
            if (logged.Length + counts.Sum() == Connections)
            {
                break;
            }
            System.Threading.Thread.Sleep(100);
        }
        Assert.True(logged.Length + counts.Sum() == Connections,
            $"{logged.Length} refusals logged and {counts.Sum()} counted, not {Connections}:\n" + string.Join('\n', server.Log));
        Assert.NotEmpty(counts);
        Assert.True(logged.Length <= ConnectRefusals.LinesPerWindow * (counts.Length + 1), $"{logged.Length} refusals were logged one by one in {counts.Length + 1} window(s)");
        Assert.Contains(logged, l => l.Contains("further refusals of this uid are counted, not logged", StringComparison.Ordinal));
        Assert.False(server.HasExited, "the server stopped");
    }

    [Fact]
    public void Listing_other_uids_opens_the_socket_file_to_them_and_listing_ones_own_uid_serves_it()
    {
        using var tree = new TempTree();
        string own = Fdpass.OwnUid().ToString(System.Globalization.CultureInfo.InvariantCulture);
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root, "--allow-uid", "4242", "--allow-uid", own);

        RunResult get = Fdpass.Run("get", tree.Endpoint, "hello.txt");

        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal((UnixFileMode)0x1B6, File.GetUnixFileMode(tree.Endpoint) & (UnixFileMode)0x1FF); // 0666
    }

    [Fact]
    public void By_default_the_socket_file_is_owner_only()
    {
        using var tree = new TempTree();
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tree.Endpoint));
        Assert.Contains(server.Log, l => l.Contains($"to uid {Fdpass.OwnUid()}", StringComparison.Ordinal));
    }

    [Fact]
    public void A_user_name_is_resolved_at_start_and_served_as_its_uid()
    {
        using var tree = new TempTree();
        string name = Exec.Run("id", new[] { "-un" }).Stdout.Trim();
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root, "--allow-uid", name);

        RunResult get = Fdpass.Run("get", tree.Endpoint, "hello.txt");

        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Contains(server.Log, l => l.Contains($"to uid {Fdpass.OwnUid()} ({name})", StringComparison.Ordinal));
    }

    [Fact]
    public void A_refused_uid_holding_connections_cannot_keep_an_allowed_client_out()
    {
        if (Fdpass.OwnUid() != 0)
        {
            Assert.Skip("needs root: the refused peer runs as the user 'nobody' through setpriv (Debian package util-linux), which only root may do");
        }
        if (!File.Exists("/usr/bin/python3") || !File.Exists("/usr/bin/setpriv"))
        {
            Assert.Skip("needs /usr/bin/python3 (Debian package python3) and /usr/bin/setpriv (util-linux) for the refused peer");
        }
        using var tree = new TempTree();
        // An abstract name: the other user reaches it without permission on the test's private directory. The
        // refused peer takes every connection slot (4) and sends nothing.
        string endpoint = "@fdp-refused-" + Guid.NewGuid().ToString("N");
        uint nobody = uint.Parse(Exec.Run("id", new[] { "-u", "nobody" }).Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        // A client kept out would wait until the server gives up on the peer's silent connections: that wait, and the
        // allowed client's bound, grow alike under emulation (where starting fdpass get alone can take 15 s).
        string held = ((int)TestTiming.Seconds(60).TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        TimeSpan bound = TestTiming.Seconds(10);
        using ServeProcess server = ServeProcess.Start(endpoint, "--root", tree.Root, "--max-connections", "4", "--request-timeout", held);
        const string Holder = "import socket, sys, time\n" +
            "held = []\n" +
            "for _ in range(4):\n" +
            "    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n" +
            "    s.connect('\\0' + sys.argv[1])\n" +
            "    held.append(s)\n" +
            "time.sleep(int(sys.argv[2]))\n";
        var start = new System.Diagnostics.ProcessStartInfo("setpriv") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", Holder, endpoint.Substring(1), held })
        {
            start.ArgumentList.Add(arg);
        }
        using System.Diagnostics.Process holder = TestProcesses.Start(start);
        try
        {
            // Every slot is taken (today's server says so), or every one of the peer's connections was refused.
            bool holding = server.WaitForLog(l => l.Contains("the most at once", StringComparison.Ordinal) || l.Contains($"uid {nobody}: refused at connect", StringComparison.Ordinal), 4, TestTiming.Seconds(20))
                || server.WaitForLog(l => l.Contains("the most at once", StringComparison.Ordinal), TimeSpan.FromSeconds(1));
            Assert.True(holding && !holder.HasExited, "the refused peer did not connect: " + string.Join('\n', server.Log));
            var clock = System.Diagnostics.Stopwatch.StartNew();

            RunResult get = Fdpass.Run("get", endpoint, "hello.txt");

            Assert.True(get.ExitCode == 0 && clock.Elapsed < bound, $"the allowed client waited {clock.Elapsed.TotalSeconds:0.#} s behind the refused peer's connections: {get}");
            server.AssertLogged($"uid {nobody}: refused at connect (EACCES: uid {nobody} is not allowed to use this server); closing the connection", 4);
        }
        finally
        {
            holder.Kill();
            holder.WaitForExit();
        }
    }
}

