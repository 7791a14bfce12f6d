using System;
using FdPasser.Cli.Tests.Infrastructure;

namespace FdPasser.Cli.Tests.Hold;

public sealed class HoldCommandLineTests
{
    [Fact]
    public void Hold_help_covers_every_option_and_the_protocol()
    {
        RunResult run = Fdpass.Run("hold", "--help");

        Assert.Equal(0, run.ExitCode);
        foreach (string text in new[]
                 {
                     "Usage: fdpass hold --listen", "fdpass hold --reload", "fdpass hold --status", "--user USER", "--env NAME=VALUE", "--env-file FILE", "--ready-timeout SECONDS",
                     "--stop-timeout SECONDS", "--fd-store-max N", "--control PATH", "--wait", "--timeout SECONDS", "--ready notify|listening", "--stop-signal SIG", "--start-limit-burst N", "--start-limit-interval SECONDS", "FDPASS_GENERATION", "LISTEN_FDS", "LISTEN_FDNAMES", "LISTEN_PID", "NOTIFY_SOCKET",
                     "READY=1", "STATUS=", "STOPPING=1", "MAINPID=", "FDSTORE=1", "FDNAME=", "FDSTOREREMOVE=1", "BARRIER=1", "below it", "SIGHUP", "SIGTERM", "Rollback", "Crash",
                 })
        {
            Assert.Contains(text, run.Stdout, StringComparison.Ordinal);
        }
        string top = Fdpass.Run("--help").Stdout;
        Assert.Contains("hold    Hold a service's listeners", top, StringComparison.Ordinal);
        Assert.Contains("fdpass hold --reload [--wait [--timeout SECONDS]] [--control PATH]", top, StringComparison.Ordinal);
        Assert.Contains("fdpass hold --status [--control PATH]", top, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hold", "fdpass hold: missing COMMAND and --listen NAME=tcp:HOST:PORT or NAME=unix:PATH (see 'fdpass hold --help')")]
    [InlineData("hold --listen a=tcp:*:1", "fdpass hold: missing COMMAND (see 'fdpass hold --help')")]
    [InlineData("hold -- true", "fdpass hold: missing --listen NAME=tcp:HOST:PORT or NAME=unix:PATH (see 'fdpass hold --help')")]
    [InlineData("hold --listen web=udp:1.2.3.4:5 true", "fdpass hold: --listen 'udp:1.2.3.4:5' is not tcp:HOST:PORT or unix:PATH (see 'fdpass hold --help')")]
    [InlineData("hold --listen a=tcp:*:1 --listen a=tcp:*:2 true", "fdpass hold: --listen: the name 'a' is given twice (see 'fdpass hold --help')")]
    [InlineData("hold --listen a=tcp:*:1 --ready-timeout soon true", "fdpass hold: --ready-timeout 'soon' is not a number of seconds from 0 to 86400 (see 'fdpass hold --help')")]
    [InlineData("hold --listen a=tcp:*:1 --stop-timeout 0 true", "fdpass hold: --stop-timeout '0' is not a number of seconds from more than 0 to 86400 (see 'fdpass hold --help')")]
    [InlineData("hold --listen a=tcp:*:1 --wait true", "fdpass hold: --wait goes with --reload (see 'fdpass hold --help')")]
    [InlineData("hold --reload --timeout 3", "fdpass hold: --timeout goes with --reload --wait (see 'fdpass hold --help')")]
    [InlineData("hold --listen a=tcp:*:1 --ready soon true", "fdpass hold: --ready 'soon' is not notify or listening (see 'fdpass hold --help')")]
    [InlineData("hold --listen a=tcp:*:1 --stop-signal KILL true", "fdpass hold: --stop-signal 'KILL' is not one of SIGTERM, SIGINT, SIGQUIT, SIGHUP (see 'fdpass hold --help')")]
    [InlineData("hold --listen a=tcp:*:1 --start-limit-interval 5 true", "fdpass hold: --start-limit-interval needs --start-limit-burst (see 'fdpass hold --help')")]
    [InlineData("hold --reload --status", "fdpass hold: --reload and --status ask for different things; give one (see 'fdpass hold --help')")]
    [InlineData("hold --reload true", "fdpass hold: --reload takes only --control, --wait and --timeout (it asks a running fdpass hold) (see 'fdpass hold --help')")]
    public void Usage_errors_are_one_line_with_exit_code_2(string args, string expected)
    {
        RunResult run = Fdpass.Run(args.Split(' '));

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(expected + "\n", run.Stderr);
    }

    [Fact]
    public void Options_after_COMMAND_belong_to_COMMAND()
    {
        // '--verbose' after the command is the command's, not an unknown option of hold: the error is the missing --listen.
        RunResult run = Fdpass.Run("hold", "myserver", "--verbose");

        Assert.Equal("fdpass hold: missing --listen NAME=tcp:HOST:PORT or NAME=unix:PATH (see 'fdpass hold --help')\n", run.Stderr);
    }

    [Theory]
    [InlineData("--reload")]
    [InlineData("--status")]
    public void Reload_and_status_without_a_running_holder_say_so_and_name_the_control_socket(string request)
    {
        RunResult run = Fdpass.Run("hold", request, "--control", "/tmp/fdpass-no-such-holder.sock");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("fdpass hold: no fdpass hold is running (control socket /tmp/fdpass-no-such-holder.sock)\n", run.Stderr);
    }

    [Fact]
    public void Status_at_a_stale_control_socket_says_no_holder_is_running()
    {
        using var tree = new TempTree();
        string control = System.IO.Path.Combine(tree.Path, "control.sock");
        // A socket file bound and never listened on, as a holder killed with SIGKILL leaves it: connect() gets ECONNREFUSED.
        Assert.Equal(0, Exec.Run("python3", new[] { "-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", control }).ExitCode);

        RunResult run = Fdpass.Run("hold", "--status", "--control", control);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal($"fdpass hold: no fdpass hold is running (control socket {control}: a socket file nothing listens on)\n", run.Stderr);
    }

    [Fact]
    public void A_COMMAND_that_cannot_be_started_is_one_line_exit_1_and_leaves_no_socket_file()
    {
        using var tree = new TempTree();
        string control = System.IO.Path.Combine(tree.Path, "control.sock");
        string side = System.IO.Path.Combine(tree.Path, "side.sock");

        RunResult run = Fdpass.Run("hold", "--listen", "web=tcp:127.0.0.1:0", "--listen", "side=unix:" + side, "--control", control, "--", "/nonexistent/server");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("fdpass hold: '/nonexistent/server' does not exist or is not an executable file.\n", run.Stderr);
        Assert.False(System.IO.File.Exists(control), "the control socket is left");
        Assert.False(System.IO.File.Exists(side), "the listener's socket file is left");
    }
}
