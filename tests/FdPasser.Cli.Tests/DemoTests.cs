using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using FdPasser.Cli.Tests.Infrastructure;

namespace FdPasser.Cli.Tests;

public sealed class DemoTests
{
    [Fact]
    public void Demo_passes_a_file_and_a_socket_to_a_second_process_and_cleans_up()
    {
        RunResult demo = Fdpass.Run("demo");

        Assert.True(demo.ExitCode == 0, demo.ToString());
        Assert.Equal("", demo.Stderr);
        string[] lines = demo.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Match server = Regex.Match(demo.Stdout, @"\[server pid (\d+)\]");
        Match client = Regex.Match(demo.Stdout, @"\[client pid (\d+)\]");
        Assert.True(server.Success && client.Success, demo.Stdout);
        Assert.NotEqual(server.Groups[1].Value, client.Groups[1].Value);
        string clientPid = client.Groups[1].Value;
        Assert.Contains(lines, l => l.Contains($"the kernel reports the peer as pid {clientPid}, uid {Fdpass.OwnUid()}", StringComparison.Ordinal));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^\[server pid \d+\] opened greeting\.txt as descriptor \d+ here"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^\[client pid \d+\] received descriptor \d+ \(read-only\); read \d+ bytes through it: ""Hello from pid " + server.Groups[1].Value));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^\[client pid \d+\] received descriptor \d+, a connected Unix Stream socket; read \d+ bytes"));
        Assert.Contains(lines, l => l.Contains($"\"pong from pid {clientPid}, through the socket it was passed\"", StringComparison.Ordinal));
        string scratch = Regex.Match(demo.Stdout, @"into the scratch directory (\S+)").Groups[1].Value;
        Assert.NotEqual("", scratch);
        Assert.False(Directory.Exists(scratch), "the demo left its scratch directory behind");
        Assert.EndsWith("demo finished: both descriptors worked in the other process.", lines.Last(), StringComparison.Ordinal);
    }
}
