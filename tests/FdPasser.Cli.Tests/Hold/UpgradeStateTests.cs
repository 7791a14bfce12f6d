using System;
using FdPasser.Cli.Hold;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>The state fdpass hold --upgrade hands to the next program: written, read back, and refused when wrong.</summary>
public sealed class UpgradeStateTests
{
    private static readonly DateTime Now = new(2026, 12, 5, 18, 0, 0, DateTimeKind.Utc);

    private static UpgradeState Sample()
    {
        var state = new UpgradeState { Pid = 4242, LastGeneration = 7, NotifyFd = 9, NotifyAddress = "@fdpass-hold/4242/abc", OuterReady = true };
        state.Listeners.Add(new UpgradeListener(5, "web", null));
        state.Listeners.Add(new UpgradeListener(6, "ctl", "/run/app dir/ctl.sock"));
        state.Stored.Add(new UpgradeStored(11, "state", 1, 123, 4300));
        state.Generations.Add(new GenerationSnapshot(6, 4300, Now.AddMinutes(-5)) { State = GenerationState.Draining, KillAt = Now.AddSeconds(20), ReadyAt = Now.AddMinutes(-4), Status = "serving 3\nrequests, 100% = ü" });
        state.Generations.Add(new GenerationSnapshot(7, 4400, Now.AddMinutes(-1)) { MainPid = 4401, State = GenerationState.Ready, ReadyAt = Now.AddSeconds(-50), ChildEnded = true });
        return state;
    }

    [Fact]
    public void A_state_reads_back_as_it_was_written()
    {
        UpgradeState back = UpgradeState.Parse(Sample().Format(Now), Now.AddSeconds(1));

        Assert.Equal((4242, 7, 9, "@fdpass-hold/4242/abc", true), (back.Pid, back.LastGeneration, back.NotifyFd, back.NotifyAddress, back.OuterReady));
        Assert.Equal(new[] { new UpgradeListener(5, "web", null), new UpgradeListener(6, "ctl", "/run/app dir/ctl.sock") }, back.Listeners);
        Assert.Equal(new UpgradeStored(11, "state", 1, 123, 4300), Assert.Single(back.Stored));
        GenerationSnapshot draining = back.Generations[0];
        Assert.Equal((6, 4300, 4300, GenerationState.Draining, "serving 3\nrequests, 100% = ü"), (draining.Number, draining.Pid, draining.MainPid, draining.State, draining.Status));
        Assert.Equal(Now.AddSeconds(21), draining.KillAt); // the time left, counted from when it is read
        GenerationSnapshot ready = back.Generations[1];
        Assert.Equal((4401, true, false, Now.AddSeconds(-50)), (ready.MainPid, ready.ChildEnded, ready.MainEnded, ready.ReadyAt));
    }

    [Theory]
    [InlineData("fdpass-hold-state 2\npid 1\nend\n", "does not begin with 'fdpass-hold-state 1'")]
    [InlineData("fdpass-hold-state 1\npid 4242\nlast-generation 7\n", "no 'end' line: it was cut short")]
    [InlineData("fdpass-hold-state 1\npid 4242\nlast-generation 7\nnotify 2 =@x\nend\n", "line 4 ('notify 2 =@x'): '2' is not a number from 3")]
    [InlineData("fdpass-hold-state 1\npid 4242\nlast-generation 7\nnotify 9 =@x\nlistener 9 web -\nend\n", "descriptor 9 is named twice")]
    [InlineData("fdpass-hold-state 1\npid 4242\nlast-generation 7\nnotify 9 =@x\nlistener 10 we:b -\nend\n", "'we:b' is not a descriptor name")]
    [InlineData("fdpass-hold-state 1\npid 4242\nlast-generation 7\nnotify 9 =@x\ngeneration 8 100 100 1 0 0 0 0 -1 0 -1 -\nend\n", "generation 8 is named twice or after last-generation 7")]
    [InlineData("fdpass-hold-state 1\npid 4242\nlast-generation 7\nnotify 9 =@x\ngeneration 7 100 100 9 0 0 0 0 -1 0 -1 -\nend\n", "'9' is not a generation state")]
    [InlineData("fdpass-hold-state 1\npid 4242\nlast-generation 7\nnotify 9 =@x\nlistener 10 web\nend\n", "wrong number of fields (3)")]
    [InlineData("fdpass-hold-state 1\nlast-generation 7\nnotify 9 =@x\nend\n", "lacks its pid")]
    [InlineData("fdpass-hold-state 1\npid 4242\nlast-generation 7\nnotify 9 =@x%4\nend\n", "'=@x%4' has a '%' not followed by two hex digits")]
    [InlineData("fdpass-hold-state 1\npid 4242\nlast-generation 7\nnotify 9 =@x%zz\nend\n", "'=@x%zz' has a '%' not followed by two hex digits")]
    public void A_wrong_state_is_refused_saying_where_and_why(string text, string expected)
    {
        FormatException e = Assert.Throws<FormatException>(() => UpgradeState.Parse(text, Now));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
