using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Cli.Tests.Infrastructure;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Cli.Tests;

/// <summary>Many clients at once against one fdpass serve, over this machine's own Unix socket, bounded in count and time.</summary>
public sealed class LoadTests
{
    private const int Clients = 200;
    private const int FilesPerClient = 50;

    [Fact]
    public async Task Two_hundred_concurrent_clients_each_get_fifty_files_right_and_the_server_returns_to_its_descriptor_baseline()
    {
        using var tree = new TempTree();
        for (int f = 0; f < FilesPerClient; f++)
        {
            File.WriteAllText(tree.InRoot(FileName(f)), Content(f));
        }
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root, "--request-timeout", "60");
        Assert.Equal(Content(0), RawClient.Fetch(tree.Endpoint, FileName(0)));
        string[] baseline = server.SteadyDescriptors();
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(TimeSpan.FromMinutes(3));

        // All clients connect first, so that all 200 connections are open at once while they are served.
        FdChannel[] channels = await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => FdChannel.ConnectAsync(tree.Endpoint, bound.Token).AsTask()));
        int[] served;
        try
        {
            served = await Task.WhenAll(channels.Select((channel, client) => Task.Run(() => RunClientAsync(channel, client, bound.Token), bound.Token)));
        }
        finally
        {
            foreach (FdChannel channel in channels)
            {
                channel.Dispose();
            }
        }

        Assert.All(served, n => Assert.Equal(FilesPerClient, n));
        server.AssertLogged(": passed descriptor", count: 1 + Clients * FilesPerClient);
        Assert.DoesNotContain(server.Log, l => l.Contains("refused", StringComparison.Ordinal) || l.Contains("failed", StringComparison.Ordinal));
        server.AssertDescriptorsBackTo(baseline);
        Assert.Equal(Content(7), RawClient.Fetch(tree.Endpoint, FileName(7)));
    }

    /// <summary>One client: fifty requests in turn on its connection, each answer's content checked; returns how many were right.</summary>
    private static async Task<int> RunClientAsync(FdChannel channel, int client, CancellationToken cancellationToken)
    {
        int right = 0;
        byte[] buffer = new byte[64];
        for (int i = 0; i < FilesPerClient; i++)
        {
            int f = (client + i) % FilesPerClient;
            await channel.SendRawAsync(Encoding.ASCII.GetBytes($"open {FileName(f)} 0\0"), ReadOnlyMemory<int>.Empty, cancellationToken);
            using SafeFileHandle file = await channel.ReceiveDescriptorAsync(cancellationToken);
            int n = RandomAccess.Read(file, buffer, 0);
            Assert.Equal(Content(f), Encoding.ASCII.GetString(buffer, 0, n));
            right++;
        }
        return right;
    }

    private static string FileName(int f) => "file-" + f.ToString("00", CultureInfo.InvariantCulture) + ".txt";

    private static string Content(int f) => $"the content of file {f}\n";
}
