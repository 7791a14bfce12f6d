namespace FdPasser.Cli.Hold;

/// <summary>The signals the machine sends.</summary>
internal enum HoldSignal
{
    Term,
    Kill,
}

/// <summary>What <see cref="HoldMachine"/> asks the process around it to do.</summary>
internal abstract record HoldAction
{
    /// <summary>Start COMMAND as this generation, with every listener and stored descriptor; answer with Spawned or SpawnFailed.</summary>
    public sealed record Spawn(int Generation) : HoldAction;

    public sealed record Signal(int Pid, HoldSignal Which) : HoldAction;

    /// <summary>
    /// SIGKILL to every process below <paramref name="Pid"/>, which the <see cref="Signal"/> that follows kills, as
    /// systemd kills a unit's whole control group: a launcher killed before its service said MAINPID= (not ready in
    /// time) would otherwise leave the service running, and accepting on the shared listeners.
    /// </summary>
    public sealed record KillTree(int Pid) : HoldAction;

    /// <summary>
    /// <c>--start-priority idle</c>: give every thread of <paramref name="Pid"/>, <paramref name="MainPid"/> and every
    /// process below them that is under SCHED_IDLE hold's own scheduling policy back.
    /// </summary>
    public sealed record RestorePriority(int Pid, int MainPid) : HoldAction;

    /// <summary>Report Exited for this pid once it is gone (it is not our child, so it cannot be reaped).</summary>
    public sealed record Watch(int Pid) : HoldAction;

    public sealed record Log(string Line) : HoldAction;

    /// <summary>Answer the <c>--reload --wait</c> that is waiting as <paramref name="Waiter"/>.</summary>
    public sealed record ReloadAnswered(int Waiter, ReloadOutcome Outcome) : HoldAction;

    /// <summary>Every generation has ended after a stop: exit with this code.</summary>
    public sealed record Exit(int Code) : HoldAction;
}
