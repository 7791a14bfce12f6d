using System;
using System.Globalization;
using System.IO;
using System.Text.RegularExpressions;
using FdPasser.Cli.Tests.Infrastructure;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>fdpass hold is a child subreaper: a generation's double-forked daemon stays below it and is stopped with it.</summary>
[Collection("fdpass hold")]
public sealed class HoldOrphanTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static int ParentOf(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat.Substring(stat.LastIndexOf(')') + 2).Split(' ')[1], CultureInfo.InvariantCulture);
    }

    [Fact]
    public void A_double_forked_grandchild_that_keeps_the_listener_and_ignores_SIGTERM_is_gone_after_hold_stops()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.Start();
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
            Assert.Equal(hold.ProcessId, ParentOf(grandchild)); // re-parented to hold, not to init

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
}
