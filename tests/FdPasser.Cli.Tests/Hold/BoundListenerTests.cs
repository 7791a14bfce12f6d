using System;
using System.IO;
using System.Net;
using FdPasser.Cli.Hold;
using FdPasser.Cli.Tests.Infrastructure;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>How fdpass hold binds its listeners, and what it says when it cannot.</summary>
public sealed class BoundListenerTests
{
    [Fact]
    public void A_second_listener_on_a_live_port_fails_with_EADDRINUSE()
    {
        using BoundListener first = BoundListener.Bind(ListenerSpec.Parse("web=tcp:127.0.0.1:0"));
        int port = ((IPEndPoint)first.Socket.LocalEndPoint!).Port;

        IOException e = Assert.Throws<IOException>(() => BoundListener.Bind(ListenerSpec.Parse($"again=tcp:127.0.0.1:{port}")).Dispose());

        Assert.StartsWith($"cannot listen on again=tcp:127.0.0.1:{port}: EADDRINUSE", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hold_on_a_port_a_live_listener_holds_exits_1_naming_EADDRINUSE()
    {
        using BoundListener live = BoundListener.Bind(ListenerSpec.Parse("web=tcp:127.0.0.1:0"));
        int port = ((IPEndPoint)live.Socket.LocalEndPoint!).Port;
        using var tree = new TempTree();

        RunResult run = Exec.Run(Fdpass.Binary, new[] { "hold", "--listen", $"web=tcp:127.0.0.1:{port}", "--control", Path.Combine(tree.Path, "c.sock"), "--", "/bin/sleep", "30" }, timeoutSeconds: 20);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith($"fdpass hold: cannot listen on web=tcp:127.0.0.1:{port}: EADDRINUSE: another socket is bound to this address already", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_unix_listener_in_a_missing_directory_says_the_directory_does_not_exist()
    {
        using var tree = new TempTree();
        string directory = Path.Combine(tree.Path, "missing");

        IOException e = Assert.Throws<IOException>(() => BoundListener.Bind(ListenerSpec.Parse($"web=unix:{directory}/web.sock")).Dispose());

        Assert.Equal($"cannot listen on web=unix:{directory}/web.sock: the directory '{directory}' does not exist (bind: ENOENT for '{directory}/web.sock')", e.Message);
    }

    [Fact]
    public void A_unix_listener_is_mode_0666_whatever_the_umask()
    {
        using var tree = new TempTree();
        string path = Path.Combine(tree.Path, "web.sock");

        using (BoundListener listener = BoundListener.Bind(ListenerSpec.Parse("web=unix:" + path)))
        {
            Assert.Equal((UnixFileMode)0b110_110_110, File.GetUnixFileMode(path));
        }

        Assert.False(File.Exists(path), "the socket file is left after dispose");
    }
}
