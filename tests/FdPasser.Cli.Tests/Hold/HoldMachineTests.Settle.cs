using System;
using System.Collections.Generic;
using System.Linq;
using FdPasser.Cli.Hold;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>
/// The settle time (<c>--settle-time</c>): a new generation that said READY=1 replaces the previous one only once it
/// has stayed up that long; one that dies sooner is rolled back to the previous one, which never stopped serving.
/// </summary>
public sealed class HoldMachineSettleTests
{
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly HoldMachine _m = new(new HoldTimings
    {
        ReadyTimeout = TimeSpan.FromSeconds(5),
        StopTimeout = TimeSpan.FromSeconds(3),
        RestartDelay = TimeSpan.FromMilliseconds(100),
        MaxRestartDelay = TimeSpan.FromSeconds(1),
        StableAfter = TimeSpan.FromSeconds(10),
        SettleTime = TimeSpan.FromSeconds(2),
    });

    private DateTime _now = T0;
    private readonly List<HoldAction> _all = new();

    private IReadOnlyList<HoldAction> Do(HoldEvent e, double afterSeconds = 0)
    {
        _now += TimeSpan.FromSeconds(afterSeconds);
        IReadOnlyList<HoldAction> actions = _m.Handle(e, _now);
        _all.AddRange(actions);
        return actions;
    }

    private static HoldEvent.Notified Ready(int pid) =>
        new(ProcessLineage.Running(pid), new[] { new KeyValuePair<string, string>("READY", "1") });

    private static string[] Logs(IReadOnlyList<HoldAction> actions) => actions.OfType<HoldAction.Log>().Select(l => l.Line).ToArray();

    /// <summary>Generation 1 (pid 100) serves and has settled; generation 2 (pid 200) was started by a reload and said READY=1.</summary>
    private IReadOnlyList<HoldAction> ServingThenReadyAgain()
    {
        _m.Start(_now);
        Do(new HoldEvent.Spawned(1, 100));
        Do(Ready(100));
        Do(new HoldEvent.Tick(), 2);
        Do(new HoldEvent.Reload("SIGHUP"), 1);
        Do(new HoldEvent.Spawned(2, 200));
        return Do(Ready(200), 0.5);
    }

    [Fact]
    public void The_previous_generation_keeps_serving_until_the_new_one_has_been_ready_for_the_settle_time()
    {
        IReadOnlyList<HoldAction> ready = ServingThenReadyAgain();

        Assert.Empty(ready.OfType<HoldAction.Signal>());
        Assert.Contains(Logs(ready), l => l.Contains("generation 1 (pid 100) keeps serving until generation 2 (pid 200) has been ready for 2 s", StringComparison.Ordinal));
        Assert.Equal(new[] { GenerationState.Ready, GenerationState.Ready }, _m.Generations.Select(g => g.State));
        Assert.Equal(_now + TimeSpan.FromSeconds(2), _m.NextDeadline);
        Assert.Empty(Do(new HoldEvent.Tick(), 1.999).OfType<HoldAction.Signal>());

        IReadOnlyList<HoldAction> settled = Do(new HoldEvent.Tick(), 0.001);

        Assert.Equal(new HoldAction.Signal(100, HoldSignal.Term), settled.OfType<HoldAction.Signal>().Single());
        Assert.Equal(new[] { GenerationState.Draining, GenerationState.Ready }, _m.Generations.Select(g => g.State));
        Assert.Contains(Logs(settled), l => l.StartsWith("generation 1 (pid 100) drains: sent SIGTERM", StringComparison.Ordinal));
    }

    [Fact]
    public void A_new_generation_that_dies_within_the_settle_time_is_rolled_back_and_nothing_is_restarted()
    {
        ServingThenReadyAgain();

        IReadOnlyList<HoldAction> died = Do(new HoldEvent.Exited(200, new ExitStatus(1, null)), 0.5);

        Assert.Empty(died.OfType<HoldAction.Spawn>());
        Assert.Empty(died.OfType<HoldAction.Signal>());
        Assert.Null(_m.RestartAt);
        Assert.Equal("generation 2 (pid 200) exited (exit code 1) within 2 s of READY=1: rolled back; generation 1 (pid 100) keeps serving", Logs(died).Single());
        GenerationSnapshot serving = _m.Generations.Single();
        Assert.Equal((100, GenerationState.Ready), (serving.Pid, serving.State));
        Assert.Empty(Do(new HoldEvent.Tick(), 10).OfType<HoldAction.Spawn>());
        Assert.Empty(Do(new HoldEvent.Tick(), 10).OfType<HoldAction.Signal>());
    }

    [Fact]
    public void A_new_generation_that_dies_after_it_settled_is_restarted_as_a_crash()
    {
        ServingThenReadyAgain();
        Do(new HoldEvent.Tick(), 2);
        Do(new HoldEvent.Exited(100, new ExitStatus(0, null)), 0.1);

        IReadOnlyList<HoldAction> died = Do(new HoldEvent.Exited(200, new ExitStatus(1, null)), 0.1);

        Assert.Contains(Logs(died), l => l.Contains("generation 2 (pid 200) exited unasked (exit code 1)", StringComparison.Ordinal));
        Assert.NotNull(_m.RestartAt);
    }

    [Fact]
    public void The_first_generation_has_nothing_to_settle_against()
    {
        _m.Start(_now);
        Do(new HoldEvent.Spawned(1, 100));
        IReadOnlyList<HoldAction> ready = Do(Ready(100));

        Assert.DoesNotContain(Logs(ready), l => l.Contains("keeps serving until", StringComparison.Ordinal));
        Assert.Null(_m.NextDeadline);
        Do(new HoldEvent.Exited(100, new ExitStatus(1, null)), 0.5);
        Assert.NotNull(_m.RestartAt); // nothing to roll back to: restarted as a crash
    }

    [Fact]
    public void Stop_while_settling_stops_both_generations()
    {
        ServingThenReadyAgain();

        IReadOnlyList<HoldAction> stop = Do(new HoldEvent.Stop("SIGTERM"));

        Assert.Equal(
            new[] { new HoldAction.Signal(100, HoldSignal.Term), new HoldAction.Signal(200, HoldSignal.Term) },
            stop.OfType<HoldAction.Signal>().ToArray());
        Assert.DoesNotContain(Do(new HoldEvent.Tick(), 2).OfType<HoldAction.Signal>(), s => s.Which == HoldSignal.Term);
    }

    [Fact]
    public void A_settle_time_of_zero_drains_the_previous_generation_at_ready()
    {
        var m = new HoldMachine(new HoldTimings { SettleTime = TimeSpan.Zero });
        m.Start(T0);
        m.Handle(new HoldEvent.Spawned(1, 100), T0);
        m.Handle(Ready(100), T0);
        m.Handle(new HoldEvent.Reload("SIGHUP"), T0);
        m.Handle(new HoldEvent.Spawned(2, 200), T0);

        IReadOnlyList<HoldAction> ready = m.Handle(Ready(200), T0);

        Assert.Equal(new HoldAction.Signal(100, HoldSignal.Term), ready.OfType<HoldAction.Signal>().Single());
    }
}
