using System;
using System.Collections.Generic;
using System.Linq;
using FdPasser.Cli.Hold;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>A generation whose first process is a launcher (pid 100) that starts the service below it (pid 300).</summary>
public sealed partial class HoldMachineTests
{
    private static HoldEvent.Notified MainPid(ProcessLineage sender, ProcessLineage named) =>
        new(sender, new[] { new KeyValuePair<string, string>("MAINPID", named.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)) }, named);

    /// <summary>Starts generation 1 as pid 100; pid 300, its grandchild through 200, says READY=1 and MAINPID=300.</summary>
    private void StartLaunched()
    {
        _m.Start(_now);
        Do(new HoldEvent.Spawned(1, 100));
        Do(MainPid(ProcessLineage.Running(300, 200, 100), ProcessLineage.Running(300, 200, 100)));
        Do(Ready(300, 200, 100));
        GenerationSnapshot g = _m.Generations.Single();
        Assert.Equal((GenerationState.Ready, 300), (g.State, g.MainPid));
    }

    [Fact]
    public void A_notification_from_below_a_generations_first_process_is_that_generations_and_no_other_process_is_heard()
    {
        _m.Start(_now);
        Do(new HoldEvent.Spawned(1, 100));

        Assert.Empty(Do(Ready(999, 50)));                                    // not below 100
        Assert.Empty(Do(new HoldEvent.Notified(ProcessLineage.Gone(300), Ready(300).Fields))); // gone: whose cannot be told
        Assert.Equal(GenerationState.Starting, _m.Generations.Single().State);

        string[] ready = Logs(Do(Ready(300, 200, 100, 1)));
        Assert.Contains("generation 1 (pid 100) is ready", ready[0], StringComparison.Ordinal);
        Assert.Equal(_m.Generations.Single(), _m.Owner(ProcessLineage.Running(301, 300, 200, 100)));
        Assert.Null(_m.Owner(ProcessLineage.Running(100 + 1, 50)));
    }

    [Fact]
    public void MAINPID_is_taken_only_for_a_running_process_of_the_generation()
    {
        _m.Start(_now);
        Do(new HoldEvent.Spawned(1, 100));
        ProcessLineage app = ProcessLineage.Running(300, 200, 100);

        string[] outside = Logs(Do(MainPid(app, ProcessLineage.Running(777, 1))));
        Assert.Contains("sent MAINPID=777, which is not pid 100 or a process below it; ignored", outside.Single(), StringComparison.Ordinal);
        string[] gone = Logs(Do(MainPid(app, ProcessLineage.Gone(301))));
        Assert.Contains("sent MAINPID=301, which is not a running process; ignored", gone.Single(), StringComparison.Ordinal);
        Assert.Equal(100, _m.Generations.Single().MainPid);

        IReadOnlyList<HoldAction> taken = Do(MainPid(app, app));
        Assert.Equal(300, _m.Generations.Single().MainPid);
        Assert.Contains(new HoldAction.Watch(300), taken);
    }

    [Fact]
    public void A_drain_sends_SIGTERM_to_the_main_pid_alone_and_SIGKILL_to_both_after_the_stop_timeout()
    {
        StartLaunched();
        Do(new HoldEvent.Reload("SIGHUP"));
        Do(new HoldEvent.Spawned(2, 400));
        IReadOnlyList<HoldAction> ready = Do(Ready(400));

        // A launcher such as dotnet run forwards SIGTERM to the main process itself.
        Assert.Equal(new[] { new HoldAction.Signal(300, HoldSignal.Term) }, ready.OfType<HoldAction.Signal>());
        IReadOnlyList<HoldAction> late = Do(new HoldEvent.Tick(), 3);
        Assert.Equal(new[] { new HoldAction.Signal(300, HoldSignal.Kill), new HoldAction.Signal(100, HoldSignal.Kill) }, late.OfType<HoldAction.Signal>());
    }

    [Fact]
    public void When_the_launcher_ends_first_the_generation_ends_with_the_main_pid_and_the_launchers_status()
    {
        StartLaunched();
        string[] first = Logs(Do(new HoldEvent.Exited(100, new ExitStatus(137, null))));
        Assert.Contains("its first process ended (exit code 137); main pid 300 goes on", first.Single(), StringComparison.Ordinal);
        Assert.Single(_m.Generations);

        string[] end = Logs(Do(new HoldEvent.Exited(300, default)));
        Assert.Contains("generation 1 (pid 100, main pid 300) exited unasked (exit code 137)", end[0], StringComparison.Ordinal);
        Assert.Empty(_m.Generations);
    }

    [Fact]
    public void When_the_main_pid_ends_first_the_launcher_gets_SIGTERM_and_its_exit_ends_the_generation()
    {
        StartLaunched();
        IReadOnlyList<HoldAction> mainEnded = Do(new HoldEvent.Exited(300, default));
        Assert.Equal(new[] { new HoldAction.Signal(100, HoldSignal.Term) }, mainEnded.OfType<HoldAction.Signal>());
        Assert.Single(_m.Generations);
        Assert.Equal(new[] { new HoldAction.Signal(100, HoldSignal.Kill) }, Do(new HoldEvent.Tick(), 3).OfType<HoldAction.Signal>());

        IReadOnlyList<HoldAction> end = Do(new HoldEvent.Exited(100, new ExitStatus(null, 9, "SIGKILL")));
        Assert.Contains("generation 1 (pid 100, main pid 300) exited unasked (killed by SIGKILL)", Logs(end)[0], StringComparison.Ordinal);
        Assert.Empty(_m.Generations);
        Assert.Single(end.OfType<HoldAction.Log>(), l => l.Line.Contains("restarting in", StringComparison.Ordinal));
    }
}
