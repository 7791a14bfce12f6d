using System;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Cli.Tests.Infrastructure;
using FdPasser.TestSupport;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Cli.Tests;

/// <summary>
/// fdpass serve with more clients than its descriptor limit has room for: it serves as many at once as the limit
/// allows with a margin for the runtime, the rest wait in the listen backlog, and none of it fails.
/// </summary>
public sealed class DescriptorLimitTests
{
    private const string Hello = "hello through a passed descriptor\n";

    /// <summary>Room for the runtime (about 60 descriptors, its assembly files included) and some connections, fewer than <see cref="Clients"/>.</summary>
    private const int Limit = 160;

    /// <summary>More than the server can hold at once, fewer than its listen backlog (128) can queue.</summary>
    private const int Clients = 120;

    [Fact]
    public async Task Under_a_low_RLIMIT_NOFILE_more_clients_than_fit_are_all_served_in_turn_and_the_server_recovers()
    {
        using var tree = new TempTree();
        using ServeProcess server = ServeProcess.StartWithDescriptorLimit(Limit, tree.Endpoint, "--root", tree.Root, "--request-timeout", "60");
        Assert.Equal(Hello, RawClient.Fetch(tree.Endpoint, "hello.txt"));
        string[] baseline = server.SteadyDescriptors();
        int most = MostConnections(server);
        Assert.True(most < Clients, $"the limit {Limit} leaves room for {most} connections, not fewer than {Clients}");
        server.AssertLogged($"note: the descriptor limit (RLIMIT_NOFILE {Limit}, ");
        CancellationToken cancel = TestContext.Current.CancellationToken;

        // All connect and ask at once; each leaves once served, making room for one that waits.
        FdChannel[] clients = await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => FdChannel.ConnectAsync(tree.Endpoint, cancel).AsTask()));
        string[] outcomes;
        try
        {
            outcomes = await Task.WhenAll(clients.Select(client => Task.Run(() => AskAndLeaveAsync(client, cancel), cancel)));
        }
        finally
        {
            foreach (FdChannel client in clients)
            {
                client.Dispose();
            }
        }

        Assert.True(outcomes.All(o => o == "served"), $"not all served: {string.Join(", ", outcomes.Where(o => o != "served").Distinct())}\nserver errors: {server.Errors}\nlog: {string.Join('\n', server.Log.Where(l => !l.Contains("passed descriptor", StringComparison.Ordinal)).Take(30))}");
        server.AssertLogged($"serving {most} connection(s), the most at once; further clients wait");
        Assert.DoesNotContain(server.Log, l => l.Contains("EMFILE", StringComparison.Ordinal) || l.Contains("failed", StringComparison.Ordinal));
        server.AssertDescriptorsBackTo(baseline);
        Assert.Equal(Hello, RawClient.Fetch(tree.Endpoint, "hello.txt"));
        Assert.Equal("", server.Errors);
    }

    [Fact]
    public void At_max_connections_a_further_client_waits_until_a_connection_ends()
    {
        using var tree = new TempTree();
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root, "--max-connections", "2");
        Assert.Contains(server.Log, l => l.Contains("at most 2 connection(s) at once", StringComparison.Ordinal));
        using FdChannel first = RawClient.Connect(tree.Endpoint);
        using FdChannel second = RawClient.Connect(tree.Endpoint);
        Assert.Equal(Hello, RawClient.Fetch(first, "hello.txt"));
        Assert.Equal(Hello, RawClient.Fetch(second, "hello.txt"));

        using FdChannel third = RawClient.Connect(tree.Endpoint);
        third.SendRaw("open hello.txt 0\0"u8, ReadOnlySpan<int>.Empty);
        third.Timeout = TimeSpan.FromSeconds(1);
        Assert.Throws<TimeoutException>(() => third.ReceiveDescriptor()); // waiting, not refused
        server.AssertLogged("serving 2 connection(s), the most at once; further clients wait");

        first.Dispose();
        third.Timeout = TestTiming.Seconds(15);
        using SafeFileHandle file = third.ReceiveDescriptor();
        Assert.Equal(Hello, RawClient.ReadAll(file));
    }

    private static int MostConnections(ServeProcess server)
    {
        string line = server.Log.First(l => l.Contains("listening on", StringComparison.Ordinal));
        Match m = Regex.Match(line, @"at most (\d+) connection\(s\) at once");
        Assert.True(m.Success, line);
        return int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>Sends a request, waits for the answer (a waiting client is served once another leaves), checks it, and leaves.</summary>
    private static async Task<string> AskAndLeaveAsync(FdChannel client, CancellationToken cancel)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        wait.CancelAfter(TestTiming.Seconds(90));
        try
        {
            await client.SendRawAsync("open hello.txt 0\0"u8.ToArray(), ReadOnlyMemory<int>.Empty, wait.Token);
            using SafeFileHandle file = await client.ReceiveDescriptorAsync(wait.Token);
            return RawClient.ReadAll(file) == Hello ? "served" : "wrong content";
        }
        catch (FdPeerErrorException e)
        {
            return $"refused: {e.PeerMessage} ({e.ErrorCode})";
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            return "unanswered";
        }
        catch (Exception e) when (e is FdPassingException or System.IO.EndOfStreamException)
        {
            return e.GetType().Name + ": " + e.Message;
        }
        finally
        {
            client.Dispose();
        }
    }
}
