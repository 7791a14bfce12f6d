using System;
using System.IO;
using FdPasser.Cli.Tests.Infrastructure;

namespace FdPasser.Cli.Tests;

/// <summary>What fdpass serve does with whatever is already at its endpoint's path.</summary>
public sealed class EndpointTests
{
    private const string Hello = "hello through a passed descriptor\n";

    [Fact]
    public void A_stale_socket_file_left_by_a_killed_server_is_replaced()
    {
        using var tree = new TempTree();
        using (ServeProcess killed = ServeProcess.Start(tree.Endpoint, "--root", tree.Root))
        {
            // Dispose kills it (SIGKILL): it has no chance to remove its socket file.
        }
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tree.Endpoint));
        Assert.Equal("socket\n", Exec.Run("stat", new[] { "-c", "%F", tree.Endpoint }).Stdout);
        Assert.Throws<FdPassingException>(() => FdChannel.Connect(tree.Endpoint)); // ECONNREFUSED: stale

        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root);

        Assert.Equal(Hello, RawClient.Fetch(tree.Endpoint, "hello.txt"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tree.Endpoint));
    }

    [Fact]
    public void A_regular_file_at_the_endpoint_is_refused_and_left_alone()
    {
        using var tree = new TempTree();
        File.WriteAllText(tree.Endpoint, "not a socket\n");

        RunResult serve = Fdpass.Run("serve", tree.Endpoint, "--root", tree.Root);

        Assert.Equal(1, serve.ExitCode);
        Assert.Contains("something that is not a socket is there", serve.Stderr, StringComparison.Ordinal);
        Assert.Single(serve.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("not a socket\n", File.ReadAllText(tree.Endpoint));
    }

    [Fact]
    public void A_second_server_on_a_live_endpoint_is_refused_and_the_first_keeps_serving()
    {
        using var tree = new TempTree();
        using ServeProcess first = ServeProcess.Start(tree.Endpoint, "--root", tree.Root);

        RunResult second = Fdpass.Run("serve", tree.Endpoint, "--root", tree.Root);

        Assert.Equal(1, second.ExitCode);
        Assert.Contains("a server is listening there already", second.Stderr, StringComparison.Ordinal);
        Assert.Equal(Hello, RawClient.Fetch(tree.Endpoint, "hello.txt"));
    }
}
