using System;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.AspNetCore.Tests.Infrastructure;

namespace FdPasser.AspNetCore.Tests;

/// <summary>The sample started by Debian's systemd-socket-activate (no service manager: nothing stored, N = 1).</summary>
[Collection("processes")]
public sealed class SocketActivateTests
{
    private const string Activator = "/usr/bin/systemd-socket-activate";

    private static RunningProgram Activate(int port, string name)
    {
        Assert.SkipUnless(File.Exists(Activator), $"{Activator} is missing (Debian package systemd)");
        var program = new RunningProgram(Activator, "-l", $"127.0.0.1:{port}", "--fdname=" + name, "dotnet", Paths.Sample);
        program.WaitFor("Listening on 127.0.0.1:", TimeSpan.FromSeconds(10));
        return program;
    }

    [Fact]
    public async Task Started_by_systemd_socket_activate_it_serves_generation_1_from_the_named_listener()
    {
        int port = Paths.FreePort();
        using RunningProgram app = Activate(port, "web");

        // The first connection starts it (the activator execs the app, so the pid stays).
        Answer first = await Http.GetAsync(port);
        Answer second = await Http.GetAsync(port);

        Assert.True(first.Ok, first.Body + "\n" + app.Output);
        Assert.Equal((1, app.ProcessId), Http.Parse(first.Body));
        Assert.Equal((first.Ok, first.Body), (second.Ok, second.Body));
        Assert.Equal(0, app.Terminate(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task A_connection_accepted_before_SIGTERM_whose_request_comes_after_is_served()
    {
        int port = Paths.FreePort();
        using RunningProgram app = Activate(port, "web");
        Assert.True((await Http.GetAsync(port)).Ok, app.Output);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using Socket early = await Http.ConnectAsync(port, timeout.Token);
        Thread.Sleep(500); // accepted by Kestrel, which now waits for the request
        RunningProgram.Signal(app.ProcessId, "TERM");
        app.WaitFor("Application is shutting down", TimeSpan.FromSeconds(10));
        Thread.Sleep(500);
        Answer late = await Http.SendAsync(early);

        Assert.True(late.Ok, $"the request sent after SIGTERM on a connection accepted before it: {late.Body}\n{app.Output}");
        Assert.Equal((1, app.ProcessId), Http.Parse(late.Body));
        // It is already stopping: a second SIGTERM could land after the host has let go of the signal and kill it.
        Assert.Equal(0, app.WaitForExit(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task A_listener_name_it_was_not_given_stops_it_at_start_with_what_was_passed()
    {
        int port = Paths.FreePort();
        using RunningProgram app = Activate(port, "api");

        Answer answer = await Http.GetAsync(port);

        Assert.False(answer.Ok);
        app.WaitFor("Kestrel was asked to listen on the inherited listener 'web', but this process was passed api (fd 3, Stream socket, listening)", TimeSpan.FromSeconds(20));
        Assert.NotEqual(0, app.WaitForExit(TimeSpan.FromSeconds(20)));
    }
}
