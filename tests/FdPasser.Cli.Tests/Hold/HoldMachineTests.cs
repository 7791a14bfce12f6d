using System;
using System.Collections.Generic;
using System.Linq;
using FdPasser.Cli.Hold;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>The generation state machine of fdpass hold, driven by events with a clock the test moves.</summary>
public sealed partial class HoldMachineTests
{
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly HoldMachine _m = new(new HoldTimings
    {
        ReadyTimeout = TimeSpan.FromSeconds(5),
        StopTimeout = TimeSpan.FromSeconds(3),
        RestartDelay = TimeSpan.FromMilliseconds(100),
        MaxRestartDelay = TimeSpan.FromSeconds(1),
        StableAfter = TimeSpan.FromSeconds(10),
        SettleTime = TimeSpan.Zero, // HoldMachineSettleTests has the settle time
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

    private static HoldEvent.Notified Ready(int pid, params int[] ancestors) =>
        new(ProcessLineage.Running(pid, ancestors), new[] { new KeyValuePair<string, string>("READY", "1") });

    private static int SpawnOf(IReadOnlyList<HoldAction> actions) => actions.OfType<HoldAction.Spawn>().Single().Generation;

    private static string[] Logs(IReadOnlyList<HoldAction> actions) => actions.OfType<HoldAction.Log>().Select(l => l.Line).ToArray();

    /// <summary>Starts generation 1 as pid 100 and makes it ready.</summary>
    private void StartServing()
    {
        Assert.Equal(1, SpawnOf(_m.Start(_now)));
        Do(new HoldEvent.Spawned(1, 100));
        Do(Ready(100));
        Assert.Equal(GenerationState.Ready, _m.Generations.Single().State);
    }

    [Fact]
    public void A_reload_drains_the_old_generation_only_after_the_new_one_is_ready()
    {
        StartServing();

        Assert.Equal(2, SpawnOf(Do(new HoldEvent.Reload("SIGHUP"))));
        Assert.Empty(Do(new HoldEvent.Spawned(2, 200)).OfType<HoldAction.Signal>());
        IReadOnlyList<HoldAction> ready = Do(Ready(200), 0.5);

        Assert.Equal(new HoldAction.Signal(100, HoldSignal.Term), ready.OfType<HoldAction.Signal>().Single());
        Assert.Equal(new[] { GenerationState.Draining, GenerationState.Ready }, _m.Generations.Select(g => g.State));
        Assert.Contains(Logs(ready), l => l.StartsWith("generation 1 (pid 100) drains: sent SIGTERM", StringComparison.Ordinal));
    }

    [Fact]
    public void Several_generations_drain_at_once_and_each_gets_SIGKILL_after_the_stop_timeout()
    {
        StartServing();
        for (int n = 2; n <= 3; n++)
        {
            Do(new HoldEvent.Reload("SIGHUP"), 1);
            Do(new HoldEvent.Spawned(n, n * 100));
            Do(Ready(n * 100));
        }
        Assert.Equal(new[] { GenerationState.Draining, GenerationState.Draining, GenerationState.Ready }, _m.Generations.Select(g => g.State));
        Assert.Equal(_now + TimeSpan.FromSeconds(2), _m.NextDeadline); // generation 1 was told 1 s earlier

        IReadOnlyList<HoldAction> first = Do(new HoldEvent.Tick(), 2);
        Assert.Equal(new HoldAction.Signal(100, HoldSignal.Kill), first.OfType<HoldAction.Signal>().Single());
        IReadOnlyList<HoldAction> second = Do(new HoldEvent.Tick(), 1);
        Assert.Equal(new HoldAction.Signal(200, HoldSignal.Kill), second.OfType<HoldAction.Signal>().Single());
        Assert.Empty(Do(new HoldEvent.Tick(), 1).OfType<HoldAction.Signal>()); // SIGKILL once only
    }

    [Fact]
    public void A_generation_that_exits_before_ready_is_rolled_back_and_the_old_one_keeps_serving()
    {
        StartServing();
        Do(new HoldEvent.Reload("fdpass hold --reload"));
        Do(new HoldEvent.Spawned(2, 200));

        IReadOnlyList<HoldAction> exited = Do(new HoldEvent.Exited(200, new ExitStatus(3, null)));

        Assert.Empty(exited.OfType<HoldAction.Signal>());
        Assert.Empty(exited.OfType<HoldAction.Spawn>());
        Assert.Equal("generation 2 (pid 200) exited (exit code 3) before READY=1: rolled back; generation 1 (pid 100) keeps serving", Logs(exited).Single());
        Assert.Equal(100, _m.Generations.Single(g => g.State == GenerationState.Ready).Pid);
    }

    [Fact]
    public void A_generation_not_ready_within_the_ready_timeout_is_killed_and_rolled_back()
    {
        StartServing();
        Do(new HoldEvent.Reload("SIGHUP"));
        Do(new HoldEvent.Spawned(2, 200));
        Assert.Empty(Do(new HoldEvent.Tick(), 4.9).OfType<HoldAction.Signal>());

        IReadOnlyList<HoldAction> late = Do(new HoldEvent.Tick(), 0.1);

        Assert.Equal(new HoldAction.Signal(200, HoldSignal.Kill), late.OfType<HoldAction.Signal>().Single());
        Assert.Contains("was not ready within 5 s: killed (SIGKILL), rolled back; generation 1 (pid 100) keeps serving", Logs(late).Single(), StringComparison.Ordinal);
        IReadOnlyList<HoldAction> gone = Do(new HoldEvent.Exited(200, new ExitStatus(null, 9, "SIGKILL")));
        Assert.Empty(gone.OfType<HoldAction.Spawn>());
        Assert.Equal(GenerationState.Ready, _m.Generations.Single().State);
    }

    [Fact]
    public void A_reload_asked_for_while_one_is_starting_is_queued_once_and_runs_after_it()
    {
        StartServing();
        Do(new HoldEvent.Reload("SIGHUP"));
        Do(new HoldEvent.Spawned(2, 200));

        Assert.Empty(Do(new HoldEvent.Reload("SIGHUP")).OfType<HoldAction.Spawn>());
        IReadOnlyList<HoldAction> again = Do(new HoldEvent.Reload("SIGHUP"));
        Assert.Contains("merged with the one already queued: generation 2 (pid 200) is still starting", Logs(again).Single(), StringComparison.Ordinal);

        Assert.Equal(3, SpawnOf(Do(Ready(200))));
        Do(new HoldEvent.Spawned(3, 300));
        Assert.Empty(Do(Ready(300)).OfType<HoldAction.Spawn>());
    }

    [Fact]
    public void A_crash_restarts_with_a_backoff_that_doubles_and_is_capped()
    {
        StartServing();
        var delays = new List<double>();
        int pid = 100;
        for (int n = 2; n <= 7; n++)
        {
            IReadOnlyList<HoldAction> crash = Do(new HoldEvent.Exited(pid, new ExitStatus(null, 9, "SIGKILL")), 1);
            Assert.Empty(crash.OfType<HoldAction.Spawn>());
            delays.Add((_m.RestartAt!.Value - _now).TotalMilliseconds);
            Assert.Empty(Do(new HoldEvent.Tick(), delays[^1] / 1000 - 0.001).OfType<HoldAction.Spawn>());
            Assert.Equal(n, SpawnOf(Do(new HoldEvent.Tick(), 0.001)));
            pid = n * 100;
            Do(new HoldEvent.Spawned(n, pid));
            Do(Ready(pid));
        }

        Assert.Equal(new double[] { 100, 200, 400, 800, 1000, 1000 }, delays);

        // A generation that served for StableAfter before it crashed starts the backoff again.
        Do(new HoldEvent.Exited(pid, new ExitStatus(1, null)), 10);
        Assert.Equal(100, (_m.RestartAt!.Value - _now).TotalMilliseconds);
    }

    [Fact]
    public void A_crash_during_a_reload_leaves_the_starting_generation_to_take_over()
    {
        StartServing();
        Do(new HoldEvent.Reload("SIGHUP"));
        Do(new HoldEvent.Spawned(2, 200));

        IReadOnlyList<HoldAction> crash = Do(new HoldEvent.Exited(100, new ExitStatus(null, 9, "SIGKILL")));
        Assert.Empty(crash.OfType<HoldAction.Spawn>());
        Assert.Null(_m.RestartAt);

        // ...and if the new one fails too, nothing serves: a restart is scheduled.
        Do(new HoldEvent.Exited(200, new ExitStatus(1, null)));
        Assert.NotNull(_m.RestartAt);
    }

    [Fact]
    public void Stop_terminates_every_generation_kills_after_the_timeout_and_exits_0_when_all_ended()
    {
        StartServing();
        Do(new HoldEvent.Reload("SIGHUP"));
        Do(new HoldEvent.Spawned(2, 200));

        IReadOnlyList<HoldAction> stop = Do(new HoldEvent.Stop("SIGTERM"));
        Assert.Equal(
            new[] { new HoldAction.Signal(100, HoldSignal.Term), new HoldAction.Signal(200, HoldSignal.Term) },
            stop.OfType<HoldAction.Signal>().ToArray());
        Assert.Empty(Do(new HoldEvent.Reload("SIGHUP")).OfType<HoldAction.Spawn>());

        Do(new HoldEvent.Exited(100, new ExitStatus(0, null)), 1);
        Assert.Equal(new HoldAction.Signal(200, HoldSignal.Kill), Do(new HoldEvent.Tick(), 2).OfType<HoldAction.Signal>().Single());
        IReadOnlyList<HoldAction> last = Do(new HoldEvent.Exited(200, new ExitStatus(null, 9, "SIGKILL")));

        Assert.Equal(new HoldAction.Exit(0), last.OfType<HoldAction.Exit>().Single());
        Assert.DoesNotContain(_all.OfType<HoldAction.Spawn>(), s => s.Generation > 2);
    }

    [Fact]
    public void A_second_stop_signal_kills_at_once()
    {
        StartServing();
        Do(new HoldEvent.Stop("SIGTERM"));

        Assert.Equal(new HoldAction.Signal(100, HoldSignal.Kill), Do(new HoldEvent.Stop("SIGINT")).OfType<HoldAction.Signal>().Single());
    }

    [Fact]
    public void Stop_while_a_restart_waits_exits_without_starting_anything()
    {
        StartServing();
        Do(new HoldEvent.Exited(100, new ExitStatus(1, null)));
        Assert.NotNull(_m.RestartAt);

        IReadOnlyList<HoldAction> stop = Do(new HoldEvent.Stop("SIGINT"));

        Assert.Equal(new HoldAction.Exit(0), stop.OfType<HoldAction.Exit>().Single());
        Assert.Empty(Do(new HoldEvent.Tick(), 5).OfType<HoldAction.Spawn>());
    }

    [Fact]
    public void Notifications_from_unknown_pids_are_ignored_and_status_and_mainpid_are_recorded()
    {
        StartServing();
        Assert.Empty(Do(Ready(999)));

        Do(new HoldEvent.Notified(ProcessLineage.Running(100), new[] { new KeyValuePair<string, string>("STATUS", "serving 3 clients"), new("MAINPID", "150") },
            ProcessLineage.Running(150, 100)));
        GenerationSnapshot g = _m.Generations.Single();
        Assert.Equal("serving 3 clients", g.Status);
        Assert.Equal(150, g.MainPid);
        Assert.Equal(g, _m.Find(150));

        // The first process ending does not end the generation while its main pid runs; signals go to the main pid.
        Assert.Empty(Do(new HoldEvent.Exited(100, new ExitStatus(0, null))).OfType<HoldAction.Spawn>());
        IReadOnlyList<HoldAction> stop = Do(new HoldEvent.Stop("SIGTERM"));
        Assert.Equal(new HoldAction.Signal(150, HoldSignal.Term), stop.OfType<HoldAction.Signal>().Single());
        Assert.Equal(new HoldAction.Exit(0), Do(new HoldEvent.Exited(150, default)).OfType<HoldAction.Exit>().Single());
    }

    [Fact]
    public void A_first_start_that_fails_is_retried_with_backoff()
    {
        _m.Start(_now);
        IReadOnlyList<HoldAction> failed = Do(new HoldEvent.SpawnFailed(1, "execve: ENOENT"));

        Assert.Contains("generation 1 could not be started: execve: ENOENT", Logs(failed)[0], StringComparison.Ordinal);
        Assert.Equal(_now + TimeSpan.FromMilliseconds(100), _m.RestartAt);
        Assert.Equal(2, SpawnOf(Do(new HoldEvent.Tick(), 0.1)));
    }
}
