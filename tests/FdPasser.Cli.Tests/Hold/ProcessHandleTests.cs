using System;
using System.Diagnostics;
using FdPasser.Cli.Hold;
using FdPasser.TestSupport;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>A process held by its pidfd: its end is seen as readiness, and no signal reaches it once it has ended.</summary>
public sealed class ProcessHandleTests
{
    [Fact]
    public void The_end_of_a_held_process_is_seen_and_a_signal_after_it_goes_nowhere()
    {
        using Process sleeper = TestProcesses.Start(new ProcessStartInfo("sleep", "60"));
        using ProcessHandle? held = ProcessHandle.Open(sleeper.Id);
        Assert.NotNull(held?.Pidfd); // Linux 5.3 or later
        Assert.False(held!.WaitForExit(0));

        Assert.True(held.Signal(HoldSignal.Kill));
        Assert.True(held.WaitForExit(10_000));
        sleeper.WaitForExit(); // reaped: from now on its number may be anyone's

        Assert.False(held.Signal(HoldSignal.Term)); // ESRCH from the pidfd, whoever has the number now
        Assert.True(held.WaitForExit(0));
    }
}
