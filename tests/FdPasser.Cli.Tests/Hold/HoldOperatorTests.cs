using System;
using System.IO;
using System.Linq;
using FdPasser.Cli.Tests.Infrastructure;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>fdpass hold for deploy scripts and operators: --reload --wait, --status after a rollback, FDPASS_GENERATION, the start limit.</summary>
[Collection("fdpass hold")]
public sealed class HoldOperatorTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static string PlainServer { get; } = Path.Combine(AppContext.BaseDirectory, "Hold", "App", "plain_server.py");

    [Fact]
    public void Reload_wait_exits_0_with_the_ready_generation_and_1_with_why_a_release_was_rolled_back()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.Start();

        RunResult ok = Fdpass.Run("hold", "--reload", "--wait", "--control", hold.ControlPath);
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.EndsWith($"generation 2 is ready: pid {hold.PidOf(2)}\n", ok.Stdout, StringComparison.Ordinal);
        Assert.Contains("starting generation 2 (reload: fdpass hold --reload --wait from pid", ok.Stdout, StringComparison.Ordinal);

        File.WriteAllText(hold.ReleaseFile, "exit");
        RunResult failed = Fdpass.Run("hold", "--reload", "--wait", "--control", hold.ControlPath);
        Assert.True(failed.ExitCode == 1, failed.ToString());
        string why = $"generation 3 (pid {hold.PidOf(3)}) exited (exit code 3) before READY=1: rolled back; generation 2 (pid {hold.PidOf(2)}) keeps serving";
        Assert.EndsWith(why + "\n", failed.Stdout, StringComparison.Ordinal);

        string status = hold.Control("status").Stdout;
        Assert.Contains("last reload failed ", status, StringComparison.Ordinal);
        Assert.Contains(why, status, StringComparison.Ordinal);
    }

    [Fact]
    public void Reload_wait_with_a_timeout_exits_1_when_the_generation_is_not_ready_in_time_and_the_reload_goes_on()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.Start();
        File.WriteAllText(hold.ReleaseFile, "slow-ready 8");

        RunResult late = Fdpass.Run("hold", "--reload", "--wait", "--timeout", "1", "--control", hold.ControlPath);

        Assert.True(late.ExitCode == 1, late.ToString());
        Assert.EndsWith($"generation 2 (pid {hold.PidOf(2)}) was not ready within 1 s (--timeout); it goes on starting (see --status)\n", late.Stdout, StringComparison.Ordinal);
        Assert.Contains("reload pending: generation 2", hold.Control("status").Stdout, StringComparison.Ordinal);
        hold.AssertLogged("generation 2 (pid", "is ready", Patience);
        // The reload counts as done once the new generation has settled (--settle-time, 2 s by default).
        hold.AssertLogged("generation 2 (pid", "it replaces the generation(s) before it", Patience);
        Assert.Contains($"last reload ready", hold.Control("status").Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_server_without_notify_under_ready_listening_reloads_under_load_with_no_failed_request_and_knows_its_generation()
    {
        using HoldProcess hold = HoldProcess.StartCommand(
            new[] { "--ready", "listening", "--stop-signal", "SIGINT" }, new[] { HoldApp.Python, PlainServer }, "ready (--ready listening)");
        hold.AssertLogged("generation 1 (pid", "started; waiting for it to wait on every listener (--ready listening)", Patience);
        using HttpLoad load = HttpLoad.Start(hold.Port, clients: 8);
        load.WaitFor(30);
        for (int n = 2; n <= 4; n++)
        {
            RunResult reload = Fdpass.Run("hold", "--reload", "--wait", "--control", hold.ControlPath);
            Assert.True(reload.ExitCode == 0, $"{reload}\n{hold.Output}");
            load.WaitFor(30);
        }
        hold.AssertLogged("generation 3 (pid", "drained and exited (exit code 0)", Patience);
        HttpResult[] results = load.Stop();

        HttpResult[] failed = results.Where(r => !r.Ok).ToArray();
        Assert.True(failed.Length == 0, $"{failed.Length} of {results.Length} failed, e.g. {failed.FirstOrDefault().Body}\n{hold.Output}");
        var pids = hold.PidsByGeneration();
        // Each answer's FDPASS_GENERATION is the number hold's log gives the process that answered.
        Assert.All(results, r => Assert.Equal(pids[Answers.Parse(r.Body).Generation], Answers.Parse(r.Body).Pid));
        Assert.Contains(results, r => Answers.Parse(r.Body).Generation == 4);
        hold.AssertError($"plain_server {pids[1]}: stopping on SIGINT", Patience);
        Assert.Contains(hold.Log, l => l.Contains("generation 1 (pid", StringComparison.Ordinal) && l.Contains("drains: sent SIGINT", StringComparison.Ordinal));
    }

    [Fact]
    public void A_release_that_fails_every_start_stops_hold_with_exit_1_at_the_start_limit_after_one_hint()
    {
        using var tree = new TempTree();
        RunResult run = Fdpass.Run(
            "hold", "--listen", "web=tcp:127.0.0.1:0", "--control", Path.Combine(tree.Path, "c.sock"),
            "--start-limit-burst", "3", "--start-limit-interval", "60", "--", "false");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("start limit hit: 3 starts failed within 60 s with no generation serving", run.Stdout, StringComparison.Ordinal);
        Assert.Single(run.Stdout.Split('\n'), l => l.Contains("hint: no generation has been ready yet", StringComparison.Ordinal));
        Assert.Contains("generation 3 (pid", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("starting generation 4", run.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(tree.Path, "c.sock")), "the control socket is left");
    }

    [Fact]
    public void A_generation_that_says_READY_1_holding_none_of_its_listeners_is_warned_about()
    {
        HoldApp.SkipUnlessAvailable();
        const string closesItsListener = "import os, time; from systemd import daemon; os.close(3); daemon.notify('READY=1'); time.sleep(120)";
        using HoldProcess hold = HoldProcess.StartCommand(Array.Empty<string>(), new[] { HoldApp.Python, "-c", closesItsListener });

        hold.AssertLogged($"warning: generation 1 (pid {hold.PidOf(1)}) is ready but none of its processes holds a listener (web)", "LISTEN_FDS", Patience);
        RunResult reload = Fdpass.Run("hold", "--reload", "--wait", "--control", hold.ControlPath);
        Assert.True(reload.ExitCode == 0, reload.ToString());
        hold.AssertLogged($"warning: generation 2 (pid {hold.PidOf(2)})", "none of its processes holds a listener", Patience);
    }

    [Fact]
    public void A_generation_that_keeps_its_listener_is_not_warned_about()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.Start();
        Assert.Equal(0, Fdpass.Run("hold", "--reload", "--wait", "--control", hold.ControlPath).ExitCode);

        Assert.DoesNotContain(hold.Log, l => l.Contains("warning:", StringComparison.Ordinal));
    }
}
