using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using FdPasser.Cli.Tests.Infrastructure;
using FdPasser.TestSupport;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>
/// <c>fdpass hold --start-priority idle</c>: a generation starts under SCHED_IDLE and every thread of every process
/// of it is back at hold's policy once it is ready, or at <c>--start-priority-limit</c>; refused where hold could not
/// restore it. Policies are read from /proc/PID/task/TID/stat (field 41: 0 SCHED_OTHER, 5 SCHED_IDLE).
/// </summary>
[Collection("fdpass hold")]
public sealed class HoldStartPriorityTests
{
    private const int SchedOther = 0;
    private const int SchedIdle = 5;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static string App => Path.Combine(Path.GetDirectoryName(HoldApp.Script)!, "priority_app.py");

    private static HoldProcess Start(string readyLine, params string[] options) =>
        HoldProcess.StartCommand(
            options.Concat(new[] { "--env", "PRIORITY_REPORT={dir}/report" }).ToArray(),
            new[] { HoldApp.Python, App },
            readyLine);

    /// <summary>The policy the app had at start, its pid, its thread's id and its child's pid.</summary>
    private static (int Policy, int Pid, int Tid, int Child) Report(HoldProcess hold)
    {
        string path = Path.Combine(hold.Directory, "report");
        DateTime until = DateTime.UtcNow + Patience;
        while (!File.Exists(path))
        {
            Assert.True(DateTime.UtcNow < until, "no report from the app:\n" + hold.Output);
            Thread.Sleep(20);
        }
        int[] n = File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        return (n[0], n[1], n[2], n[3]);
    }

    /// <summary>Every thread of <paramref name="pid"/> with its policy.</summary>
    private static Dictionary<int, int> Policies(int pid)
    {
        var policies = new Dictionary<int, int>();
        foreach (string task in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            string stat = File.ReadAllText(Path.Combine(task, "stat"));
            string[] fields = ProcStat.FieldsAfterName(stat);
            policies[int.Parse(Path.GetFileName(task))] = int.Parse(fields[41 - 3]);
        }
        return policies;
    }

    private static void AssertAllAt(int policy, HoldProcess hold, params int[] pids)
    {
        foreach (int pid in pids)
        {
            Dictionary<int, int> threads = Policies(pid);
            Assert.True(threads.Count > 0, $"pid {pid} has no threads");
            Assert.True(threads.Values.All(p => p == policy), $"pid {pid}: {string.Join(", ", threads.Select(t => $"{t.Key}={t.Value}"))}, expected {policy}\n{hold.Output}");
        }
    }

    [Fact]
    public void A_generation_starts_idle_and_every_thread_and_child_is_back_at_SCHED_OTHER_once_it_is_ready()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = Start("is ready", "--start-priority", "idle");
        var (policy, pid, tid, child) = Report(hold);

        Assert.Equal(SchedIdle, policy);
        hold.AssertLogged("generation 1 (pid", "scheduling policy restored", Patience);
        AssertAllAt(SchedOther, hold, pid, child);
        Assert.Contains(tid, Policies(pid).Keys);
        Assert.Equal(0, hold.Stop("TERM"));
    }

    [Fact]
    public void A_generation_that_never_says_READY_gets_its_priority_back_at_the_limit()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = Start("started; waiting for", "--start-priority", "idle", "--start-priority-limit", "0.3",
            "--ready-timeout", "0", "--env", "PRIORITY_MODE=never-ready");
        var (_, pid, _, child) = Report(hold);

        // The app may report after the limit where starting python is slow (qemu): its own start policy proves
        // nothing then, so the restore's count does: at least its first thread was still idle at the limit.
        hold.AssertLogged("is not ready after 0.3 s (--start-priority-limit)", "", Patience);
        string restored = hold.AssertLogged("generation 1 (pid", "scheduling policy restored", Patience);
        Assert.Matches(@"on [1-9]\d* thread\(s\)", restored);
        AssertAllAt(SchedOther, hold, pid, child);
        Assert.DoesNotContain(hold.Log, l => l.Contains("is ready", StringComparison.Ordinal));
        Assert.Equal(0, hold.Stop("TERM"));
    }

    [Fact]
    public void Without_the_option_a_generation_runs_as_hold_does()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = Start("is ready");
        var (policy, pid, _, child) = Report(hold);

        Assert.Equal(SchedOther, policy);
        AssertAllAt(SchedOther, hold, pid, child);
        Assert.DoesNotContain(hold.Log, l => l.Contains("scheduling policy", StringComparison.Ordinal));
        Assert.Equal(0, hold.Stop("TERM"));
    }

    [Fact]
    public void An_unprivileged_hold_that_could_not_restore_the_priority_refuses_to_start()
    {
        Assert.SkipUnless(Fdpass.OwnUid() == 0, "needs root to act as another user (.ci/run runs the tests as root)");
        using var tree = new TempTree();
        string marker = System.IO.Path.Combine(tree.Path, "started");
        // RLIMIT_NICE 0 (Debian's default) and no CAP_SYS_NICE: SCHED_IDLE is a one-way door for uid 65534.
        RunResult run = Exec.Run("env", new[]
        {
            "-u", "XDG_RUNTIME_DIR", "HOME=/tmp", "prlimit", "--nice=0:0", "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "--inh-caps=+dac_override", "--ambient-caps=+dac_override", Fdpass.Binary,
            "hold", "--listen", "web=tcp:127.0.0.1:0", "--control", System.IO.Path.Combine(tree.Path, "control.sock"), "--start-priority", "idle",
            "--", "/bin/sh", "-c", $"touch {marker}",
        }, timeoutSeconds: 30);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("sched_setscheduler", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("EPERM", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("CAP_SYS_NICE", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("LimitNICE=", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("listening on", run.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void A_hold_under_a_real_time_policy_refuses_it()
    {
        Assert.SkipUnless(Exec.Run("chrt", new[] { "-f", "1", "true" }).ExitCode == 0,
            "chrt -f 1 is refused here (no CAP_SYS_NICE or no real-time budget); chrt is in the Debian package util-linux");
        RunResult run = Exec.Run("chrt", new[]
        {
            "-f", "1", Fdpass.Binary, "hold", "--listen", "web=tcp:127.0.0.1:0", "--control", "/nonexistent/control.sock",
            "--start-priority", "idle", "--", "/bin/true",
        }, timeoutSeconds: 30);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("fdpass hold runs under SCHED_FIFO", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hold --listen a=tcp:*:1 --start-priority low true", "fdpass hold: --start-priority 'low' is not idle or inherit (see 'fdpass hold --help')")]
    [InlineData("hold --listen a=tcp:*:1 --start-priority-limit 1 true", "fdpass hold: --start-priority-limit goes with --start-priority idle (see 'fdpass hold --help')")]
    [InlineData("hold --listen a=tcp:*:1 --start-priority idle --start-priority-limit 0 true", "fdpass hold: --start-priority-limit '0' is not a number of seconds from more than 0 to 86400 (see 'fdpass hold --help')")]
    public void Bad_values_are_usage_errors(string args, string expected)
    {
        RunResult run = Fdpass.Run(args.Split(' '));

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(expected + "\n", run.Stderr);
    }

    [Fact]
    public void Help_names_the_option_its_limit_and_what_permits_it()
    {
        string help = Fdpass.Run("hold", "--help").Stdout;

        foreach (string text in new[] { "--start-priority idle|inherit", "--start-priority-limit SECONDS", "SCHED_IDLE", "CAP_SYS_NICE", "LimitNICE=" })
        {
            Assert.Contains(text, help, StringComparison.Ordinal);
        }
    }
}
