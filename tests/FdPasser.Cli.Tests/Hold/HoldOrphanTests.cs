using System;
using System.Globalization;
using System.IO;
using System.Text.RegularExpressions;
using FdPasser.Cli.Tests.Infrastructure;
using FdPasser.TestSupport;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>fdpass hold is a child subreaper: a generation's double-forked daemon stays below it and is stopped with it.</summary>
[Collection("fdpass hold")]
public sealed class HoldOrphanTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Skips where hold could not become a child subreaper because the emulator refused the call: qemu-user 7.2
    /// answers prctl(PR_SET_CHILD_SUBREAPER) with EINVAL instead of passing it to the kernel. Natively the test runs
    /// (and fails if hold is no subreaper).
    /// </summary>
    private static void SkipWhereTheEmulatorRefusesSubreapers(HoldProcess hold)
    {
        if (Emulation.Emulator is { } emulator && hold.Output.Contains("prctl(PR_SET_CHILD_SUBREAPER) failed: EINVAL", StringComparison.Ordinal))
        {
            Assert.Skip($"prctl(PR_SET_CHILD_SUBREAPER) answered EINVAL from the emulator, not the kernel: {emulator} does not translate it (a qemu-user that passes it through, or a native run, tests this)");
        }
    }

    [Fact]
    public void A_double_forked_grandchild_that_keeps_the_listener_and_ignores_SIGTERM_is_gone_after_hold_stops()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.Start();
        SkipWhereTheEmulatorRefusesSubreapers(hold);
        File.WriteAllText(hold.ReleaseFile, "double-fork");
        hold.Signal("HUP");
        hold.AssertLogged("generation 2 (pid", "is ready", Patience);
        DateTime deadline = DateTime.UtcNow + Patience;
        Match m;
        while (!(m = Regex.Match(hold.Output, @"hold_app grandchild (\d+) keeps the listener")).Success && DateTime.UtcNow < deadline)
        {
            System.Threading.Thread.Sleep(50);
        }
        Assert.True(m.Success, hold.Output);
        int grandchild = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        try
        {
            Assert.True(HoldProcess.IsRunning(grandchild), hold.Output);
            Assert.Equal(hold.ProcessId, ProcStat.ParentOf(grandchild)); // re-parented to hold, not to init

            Assert.Equal(0, hold.Stop("TERM"));

            Assert.False(HoldProcess.IsRunning(grandchild), $"the double-forked grandchild (pid {grandchild}) still runs after fdpass hold stopped:\n{hold.Output}");
        }
        finally
        {
            if (HoldProcess.IsRunning(grandchild))
            {
                Exec.Run("kill", new[] { "-KILL", grandchild.ToString(CultureInfo.InvariantCulture) });
            }
        }
    }

    [Fact]
    public void A_child_left_behind_by_a_drained_generation_is_killed_when_that_generation_has_ended_and_hold_goes_on()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.Start();
        SkipWhereTheEmulatorRefusesSubreapers(hold);
        File.WriteAllText(hold.ReleaseFile, "leave-child");
        hold.Signal("HUP");
        hold.AssertLogged("generation 2 (pid", "is ready", Patience);
        DateTime deadline = DateTime.UtcNow + Patience;
        Match m;
        while (!(m = Regex.Match(hold.Output, @"hold_app \d+: left child (\d+)")).Success && DateTime.UtcNow < deadline)
        {
            System.Threading.Thread.Sleep(50);
        }
        Assert.True(m.Success, hold.Output);
        int left = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        try
        {
            System.Threading.Thread.Sleep(1000); // seen below generation 2 by at least one look
            File.WriteAllText(hold.ReleaseFile, "ok");
            hold.Signal("HUP");
            hold.AssertLogged($"generation 2 (pid {hold.PidOf(2)})", "drained and exited", Patience);

            hold.AssertLogged("orphan(s), as ", $": {left}", Patience);
            deadline = DateTime.UtcNow + Patience;
            while (HoldProcess.IsRunning(left) && DateTime.UtcNow < deadline)
            {
                System.Threading.Thread.Sleep(50);
            }
            Assert.False(HoldProcess.IsRunning(left), $"the child generation 2 left (pid {left}) still runs:\n{hold.Output}");
            Assert.False(hold.HasExited);
            Assert.Contains($"generation 3 pid {hold.PidOf(3)} ready", hold.Control("status").Stdout, StringComparison.Ordinal);
            Assert.Equal(0, hold.Stop("TERM"));
        }
        finally
        {
            if (HoldProcess.IsRunning(left))
            {
                Exec.Run("kill", new[] { "-KILL", left.ToString(CultureInfo.InvariantCulture) });
            }
        }
    }
}
