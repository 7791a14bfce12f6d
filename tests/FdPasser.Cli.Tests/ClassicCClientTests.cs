using System;
using System.IO;
using FdPasser.Cli.Tests.Infrastructure;
using FdPasser.TestSupport;

namespace FdPasser.Cli.Tests;

/// <summary>
/// A C client with the classic endp_connect + request + recv_fh code (CClient/classic_client.c, the original's
/// recvmsg logic) against fdpass serve.
/// </summary>
public sealed class ClassicCClientTests : IDisposable
{
    private readonly TempTree _tree = new();
    private readonly string _client;
    private readonly ServeProcess _server;

    public ClassicCClientTests()
    {
        _client = Path.Combine(_tree.Path, "classic_client");
        RunResult gcc = Exec.Run(TestPrograms.CCompiler, new[] { "-O1", "-Wall", "-Werror", "-o", _client, Path.Combine(AppContext.BaseDirectory, "CClient", "classic_client.c") });
        Assert.True(gcc.ExitCode == 0, "gcc failed: " + gcc);
        _server = ServeProcess.Start(_tree.Endpoint, "--root", _tree.Root);
    }

    public void Dispose()
    {
        _server.Dispose();
        _tree.Dispose();
    }

    [Fact]
    public void A_classic_client_receives_the_descriptor_and_reads_the_file()
    {
        RunResult run = Exec.Run(_client, new[] { _tree.Endpoint, "hello.txt", "0" });

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("hello through a passed descriptor\n", run.Stdout);
        Assert.Equal("", run.Stderr);
    }

    [Fact]
    public void A_classic_client_gets_the_refusal_text_and_the_errno_status()
    {
        RunResult run = Exec.Run(_client, new[] { _tree.Endpoint, "../outside.txt", "0" });

        Assert.Equal(3, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.Equal("'../outside.txt' has a '..' component, which is not allowed\nstatus 13\n", run.Stderr);
    }
}
