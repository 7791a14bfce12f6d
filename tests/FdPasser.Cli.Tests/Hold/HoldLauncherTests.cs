using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using FdPasser.Cli.Tests.Infrastructure;
using FdPasser.TestSupport;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>
/// COMMAND is a launcher that starts the app as its child and stays its parent (as <c>dotnet run</c> does): the
/// app's notifications come from a process fdpass hold did not start, and it names itself with MAINPID=.
/// </summary>
[Collection("fdpass hold")]
public sealed class HoldLauncherTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // A shell that runs the app as its child (no exec), waits for it, and exits with its status.
    private static readonly string[] Launcher =
    {
        "/bin/sh", "-c", "\"$@\"; code=$?; echo \"launcher $$: the app exited with $code\" >&2; exit $code", "launcher",
    };

    private static async Task<(int Generation, int Pid)> Ask(HoldProcess hold) =>
        Answers.Parse((await HttpLoad.Once(new IPEndPoint(IPAddress.Loopback, hold.Port))).Body);

    [Fact]
    public async Task The_launchers_child_is_the_main_pid_it_is_reloaded_drained_with_SIGTERM_and_stopped()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.StartLaunched(Launcher);

        // The app stored its memfd and said READY=1 and MAINPID= from below the launcher fdpass hold started.
        (int generation, int app1) = await Ask(hold);
        Assert.Equal(1, generation);
        Assert.NotEqual(hold.PidOf(1), app1);
        Assert.Equal(hold.PidOf(1), ProcStat.ParentOf(app1));
        hold.AssertLogged($"generation 1 (pid {hold.PidOf(1)}", $"main pid is now {app1}", Patience);
        Assert.Contains($"generation 1 pid {hold.PidOf(1)} main-pid {app1} ready", hold.Control("status").Stdout, StringComparison.Ordinal);

        RunResult reload = hold.Control("reload");
        Assert.Equal(0, reload.ExitCode);
        hold.AssertLogged("generation 2 (pid", "is ready", Patience);
        // SIGTERM went to the app (the main pid), which drained and exited 0; the launcher then exited with its status.
        hold.AssertLogged($"generation 1 (pid {hold.PidOf(1)}", "drained and exited (exit code 0)", Patience);
        Assert.Contains($"launcher {hold.PidOf(1)}: the app exited with 0", hold.Output, StringComparison.Ordinal);
        (generation, int app2) = await Ask(hold);
        Assert.Equal(2, generation); // the memfd stored from below the launcher reached generation 2
        Assert.Equal(hold.PidOf(2), ProcStat.ParentOf(app2));
        Assert.Contains("stored 1 of at most 16", hold.Control("status").Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(hold.Log, l => l.Contains("ignored a notification", StringComparison.Ordinal));

        Assert.Equal(0, hold.Stop("TERM"));
        Assert.Contains($"launcher {hold.PidOf(2)}: the app exited with 0", hold.Output, StringComparison.Ordinal);
        Assert.False(HoldProcess.IsRunning(app2), $"the app of generation 2 (pid {app2}) is still running:\n{hold.Output}");
        Assert.False(HoldProcess.IsRunning(hold.PidOf(2)), $"the launcher of generation 2 is still running:\n{hold.Output}");
    }

    [Fact]
    public async Task When_the_app_is_killed_the_generation_ends_with_its_launcher_and_is_restarted()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.StartLaunched(Launcher);
        (_, int app1) = await Ask(hold);

        Assert.Equal(0, Exec.Run("kill", new[] { "-KILL", app1.ToString(CultureInfo.InvariantCulture) }).ExitCode);

        // The launcher exits with the app's status (128 + 9); that ends the generation, which is started again.
        hold.AssertLogged($"generation 1 (pid {hold.PidOf(1)}, main pid {app1})", "exited unasked (exit code 137)", Patience);
        hold.AssertLogged("generation 2 (pid", "is ready", Patience);
        (int generation, int app2) = await Ask(hold);
        Assert.Equal(2, generation);
        Assert.Equal(hold.PidOf(2), ProcStat.ParentOf(app2));
        Assert.Equal(0, hold.Stop("TERM"));
        Assert.True(hold.Log.Count(l => l.Contains("exited unasked", StringComparison.Ordinal)) == 1, hold.Output);
    }

    [Fact]
    public void A_launched_generation_not_ready_in_time_is_killed_with_the_app_below_its_launcher()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.StartLaunched(Launcher, "--ready-timeout", "10");
        File.WriteAllText(hold.ReleaseFile, "never-ready");
        hold.Signal("HUP");

        // The app never says READY=1 or MAINPID=, so only its launcher is the generation's known process.
        DateTime deadline = DateTime.UtcNow + Patience;
        Match started;
        while (!(started = Regex.Match(hold.Output, @"hold_app (\d+): this release never says READY=1")).Success && DateTime.UtcNow < deadline)
        {
            System.Threading.Thread.Sleep(50);
        }
        Assert.True(started.Success, hold.Output);
        int app = int.Parse(started.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal(hold.PidOf(2), ProcStat.ParentOf(app));

        hold.AssertLogged($"generation 2 (pid {hold.PidOf(2)})", "was not ready within 10 s: killed (SIGKILL), rolled back", Patience);
        hold.AssertLogged($"sent SIGKILL to 1 process(es) below pid {hold.PidOf(2)}", $": {app}", Patience);
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (HoldProcess.IsRunning(app) && DateTime.UtcNow < deadline)
        {
            System.Threading.Thread.Sleep(50);
        }
        Assert.False(HoldProcess.IsRunning(app), $"the app below the rolled-back launcher (pid {app}) still runs:\n{hold.Output}");
        Assert.Contains($"generation 1 pid {hold.PidOf(1)} main-pid", hold.Control("status").Stdout, StringComparison.Ordinal);
        Assert.Equal(0, hold.Stop("TERM"));
    }
}
