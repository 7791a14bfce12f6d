using System;
using System.Collections.Generic;
using System.Linq;
using FdPasser.Cli.Hold;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>
/// <c>--start-priority idle</c> in the machine: a starting generation's scheduling policy is restored when it is
/// ready, or once at <c>--start-priority-limit</c> where it is not ready by then; a generation that ended needs nothing.
/// </summary>
public sealed class HoldMachineStartPriorityTests
{
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static readonly HoldTimings Idle = new()
    {
        ReadyTimeout = TimeSpan.FromSeconds(5),
        StopTimeout = TimeSpan.FromSeconds(3),
        SettleTime = TimeSpan.Zero,
        StartPriorityLimit = TimeSpan.FromSeconds(2),
    };

    private HoldMachine _m = new(Idle);
    private DateTime _now = T0;

    private IReadOnlyList<HoldAction> Do(HoldEvent e, double afterSeconds = 0)
    {
        _now += TimeSpan.FromSeconds(afterSeconds);
        return _m.Handle(e, _now);
    }

    private static HoldEvent.Notified Notified(int pid, string key, string value, ProcessLineage? named = null) =>
        new(ProcessLineage.Running(pid), new[] { new KeyValuePair<string, string>(key, value) }, named);

    private static HoldAction.RestorePriority[] Restores(IReadOnlyList<HoldAction> actions) => actions.OfType<HoldAction.RestorePriority>().ToArray();

    private void Started(int pid = 100)
    {
        _m.Start(_now);
        Do(new HoldEvent.Spawned(1, pid));
    }

    [Fact]
    public void READY_restores_the_priority_of_the_generation_once()
    {
        Started();
        Assert.Equal(_now + TimeSpan.FromSeconds(2), _m.NextDeadline);

        IReadOnlyList<HoldAction> ready = Do(Notified(100, "READY", "1"), 0.5);

        Assert.Equal(new[] { new HoldAction.RestorePriority(100, 100) }, Restores(ready));
        Assert.Empty(Restores(Do(new HoldEvent.Tick(), 2)));
        Assert.Empty(Restores(Do(Notified(100, "READY", "1"), 1)));
        Assert.Null(_m.NextDeadline);
    }

    [Fact]
    public void READY_after_MAINPID_restores_both_the_first_process_and_the_main_pid()
    {
        Started();
        Do(Notified(100, "MAINPID", "150", ProcessLineage.Running(150, 100)), 0.1);

        IReadOnlyList<HoldAction> ready = Do(Notified(150, "READY", "1", null), 0.1);

        Assert.Equal(new[] { new HoldAction.RestorePriority(100, 150) }, Restores(ready));
    }

    [Fact]
    public void A_generation_not_ready_within_the_limit_gets_its_priority_back_once_and_says_so()
    {
        Started();
        Assert.Empty(Restores(Do(new HoldEvent.Tick(), 1.999)));

        IReadOnlyList<HoldAction> due = Do(new HoldEvent.Tick(), 0.001);

        Assert.Equal(new[] { new HoldAction.RestorePriority(100, 100) }, Restores(due));
        Assert.Contains(due.OfType<HoldAction.Log>(), l => l.Line.Contains("generation 1 (pid 100) is not ready after 2 s (--start-priority-limit)", StringComparison.Ordinal));
        Assert.Equal(_now + TimeSpan.FromSeconds(3), _m.NextDeadline); // the ready timeout alone is left
        Assert.Empty(Restores(Do(new HoldEvent.Tick(), 1)));
        Assert.Empty(Restores(Do(Notified(100, "READY", "1"), 0.5)));
    }

    [Fact]
    public void A_generation_that_exited_or_was_rolled_back_needs_nothing()
    {
        Started();
        Assert.Empty(Restores(Do(new HoldEvent.Exited(100, new ExitStatus(1, null)), 0.5)));
        Assert.Empty(Restores(Do(new HoldEvent.Tick(), 2)));

        _m = new HoldMachine(Idle with { ReadyTimeout = TimeSpan.FromSeconds(1) });
        Started(200);
        IReadOnlyList<HoldAction> rolledBack = Do(new HoldEvent.Tick(), 1);
        Assert.Contains(rolledBack, a => a is HoldAction.Signal { Pid: 200, Which: HoldSignal.Kill });
        Assert.Empty(Restores(rolledBack));
        Assert.Empty(Restores(Do(new HoldEvent.Tick(), 1.5)));

        // The ready timeout and the limit at the same moment: rolled back, not restored.
        _m = new HoldMachine(Idle with { ReadyTimeout = TimeSpan.FromSeconds(2) });
        Started(300);
        IReadOnlyList<HoldAction> both = Do(new HoldEvent.Tick(), 2);
        Assert.Contains(both, a => a is HoldAction.Signal { Pid: 300, Which: HoldSignal.Kill });
        Assert.Empty(Restores(both));
    }

    [Fact]
    public void Without_the_option_nothing_is_restored()
    {
        _m = new HoldMachine(Idle with { StartPriorityLimit = null });
        Started();
        Assert.Equal(_now + TimeSpan.FromSeconds(5), _m.NextDeadline);

        Assert.Empty(Restores(Do(new HoldEvent.Tick(), 2)));
        Assert.Empty(Restores(Do(Notified(100, "READY", "1"), 0.5)));
    }
}
