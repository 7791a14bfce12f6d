using System;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using FdPasser.Cli.Tests.Infrastructure;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>A release that says READY=1 and exits at once, under fdpass hold's settle time.</summary>
[Collection("fdpass hold")]
public sealed class HoldSettleTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_release_that_dies_right_after_READY_is_rolled_back_and_the_previous_generation_keeps_serving()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.Start(options: new[] { "--settle-time", "5" });
        int first = hold.PidOf(1);
        System.IO.File.WriteAllText(hold.ReleaseFile, "ready-exit");

        hold.Signal("HUP");

        // "within 5 s of READY=1: rolled back"; on a loaded machine the exit may even be handled before the
        // READY=1 is read ("before READY=1: rolled back"): either way generation 1 keeps serving.
        string rolledBack = hold.AssertLogged("generation 2 (pid", $"rolled back; generation 1 (pid {first}) keeps serving", Patience);
        Assert.Contains("exited (exit code 4)", rolledBack, StringComparison.Ordinal);
        // Nothing restarts the bad release: generation 1 was never told to stop, and it still answers.
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
        Assert.DoesNotContain(hold.Log, l => l.Contains("starting generation 3", StringComparison.Ordinal) || l.Contains("drains: sent SIGTERM", StringComparison.Ordinal));
        Assert.True(HoldProcess.IsRunning(first), hold.Output);
        HttpResult answer = await HttpLoad.Once(new IPEndPoint(IPAddress.Loopback, hold.Port));
        Assert.Equal((1, first), Answers.Parse(answer.Body));
        Assert.Contains($"generation 1 pid {first} ready", hold.Control("status").Stdout, StringComparison.Ordinal);
        Assert.Equal(0, hold.Stop("TERM"));
    }
}
