using System;
using System.Linq;
using FdPasser.Cli.Tests.Infrastructure;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>The store tells open files apart as systemd does (kcmp), not by inode.</summary>
[Collection("fdpass hold")]
public sealed class HoldStoreTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public void Two_different_eventfds_are_both_kept_and_one_stored_twice_is_kept_once()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.Start();
        System.IO.File.WriteAllText(hold.ReleaseFile, "eventfds");

        hold.Signal("HUP");

        hold.AssertLogged("generation 2 (pid", "'ev-again' is the file already stored as 'ev': kept once", Patience);
        hold.AssertLogged("generation 2 (pid", "is ready", Patience);
        string status = hold.Control("status").Stdout;
        Assert.Contains("stored 3 of at most 16", status, StringComparison.Ordinal); // state, ev, ev
        Assert.Equal(2, hold.Log.Count(l => l.Contains("stored 'ev'", StringComparison.Ordinal)));
        Assert.Equal(0, hold.Stop("TERM"));
    }
}
