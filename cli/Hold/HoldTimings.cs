using System;

namespace FdPasser.Cli.Hold;

/// <summary>The time limits of <see cref="HoldMachine"/>.</summary>
internal sealed record HoldTimings
{
    /// <summary>A new generation not ready within this is killed and rolled back; null waits for ever.</summary>
    public TimeSpan? ReadyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A generation sent SIGTERM gets SIGKILL after this.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The first restart after a crash waits this; each further failure in a row doubles it.</summary>
    public TimeSpan RestartDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxRestartDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A generation that was ready this long before it crashed starts the backoff again from <see cref="RestartDelay"/>.</summary>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>At most this many starts while nothing serves within <see cref="StartLimitInterval"/>; 0 has no limit (systemd's StartLimitBurst=).</summary>
    public int StartLimitBurst { get; init; }

    public TimeSpan StartLimitInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>What makes a starting generation ready, for the log (<c>--ready</c>).</summary>
    public string WaitingFor { get; init; } = "READY=1";

    /// <summary>The name of the signal that asks a generation to stop, for the log (<c>--stop-signal</c>).</summary>
    public string StopSignalName { get; init; } = "SIGTERM";
    /// <summary>
    /// A new generation replaces the previous ready one only once it has been ready this long; one that dies sooner is
    /// rolled back to it. Zero drains the previous one at READY=1.
    /// </summary>
    public TimeSpan SettleTime { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// <c>--start-priority idle</c>: a starting generation's scheduling policy is restored at READY=1, or after this
    /// where it is not ready by then; null where generations start with hold's own policy (the default).
    /// </summary>
    public TimeSpan? StartPriorityLimit { get; init; }
}
