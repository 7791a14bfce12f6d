namespace FdPasser.Cli.Hold;

/// <summary>
/// <c>--start-priority idle</c>: a generation starts under SCHED_IDLE, so that its start (exec, runtime start-up,
/// page faults) takes only CPU time the serving generation leaves; it serves nobody yet. Its policy is restored when
/// it is ready, or after <see cref="HoldTimings.StartPriorityLimit"/> where it is not ready by then: on a saturated
/// machine an idle start could otherwise take for ever.
/// </summary>
internal sealed partial class HoldMachine
{
    private void ArmStartPriority(Generation g)
    {
        if (_timings.StartPriorityLimit is { } limit)
        {
            g.PriorityRestoreAt = _now + limit;
        }
    }

    /// <summary>At READY=1 (or its equivalent under <c>--ready listening</c>).</summary>
    private void RestoreStartPriority(Generation g)
    {
        if (g.PriorityRestoreAt is not null)
        {
            g.PriorityRestoreAt = null;
            _actions.Add(new HoldAction.RestorePriority(g.Pid, g.MainPid));
        }
    }

    /// <summary>A generation not ready by the limit gets hold's policy back, once; a killed one needs nothing.</summary>
    private void StartPriorityDue()
    {
        foreach (Generation g in _generations)
        {
            if (g.PriorityRestoreAt is { } at && _now >= at && !g.Killed)
            {
                g.PriorityRestoreAt = null;
                Log($"{g.Describe()} is not ready after {Seconds(_timings.StartPriorityLimit!.Value)} (--start-priority-limit): its scheduling policy is restored");
                _actions.Add(new HoldAction.RestorePriority(g.Pid, g.MainPid));
            }
        }
    }
}
