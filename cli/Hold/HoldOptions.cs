using System;
using System.Collections.Generic;

namespace FdPasser.Cli.Hold;

/// <summary>What <c>fdpass hold</c> runs and how (from its command line).</summary>
internal sealed class HoldOptions
{
    public required IReadOnlyList<ListenerSpec> Listeners { get; init; }

    /// <summary>COMMAND: the program (a path, or a name looked up in PATH).</summary>
    public required string Command { get; init; }

    public required IReadOnlyList<string> Arguments { get; init; }

    /// <summary>Run COMMAND as this user (name or uid); null runs it as fdpass hold's own user.</summary>
    public string? User { get; init; }

    /// <summary>setpriv(1) by absolute path, found once at start (<see cref="Hold.Setpriv"/>); null without <see cref="User"/>.</summary>
    public string? Setpriv { get; init; }

    /// <summary>Variables of <c>--env-file</c> and <c>--env</c>, in that order, added to every generation's environment.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Environment { get; init; } = [];

    public required HoldTimings Timings { get; init; }

    /// <summary>At most this many descriptors are kept in the store.</summary>
    public int FdStoreMax { get; init; } = 16;

    /// <summary>The control socket (<c>fdpass hold --reload</c>, <c>--status</c>).</summary>
    public required string ControlPath { get; init; }

    /// <summary>How a generation is known to be ready (<c>--ready</c>).</summary>
    public ReadyMode Ready { get; init; } = ReadyMode.Notify;

    /// <summary>The signal that asks a generation to stop (<c>--stop-signal</c>, systemd's KillSignal=).</summary>
    public System.Runtime.InteropServices.PosixSignal StopSignal { get; init; } = System.Runtime.InteropServices.PosixSignal.SIGTERM;

    /// <summary>
    /// <c>--start-priority idle</c>: fdpass hold's own scheduling policy, which a generation started under SCHED_IDLE
    /// gets back (<see cref="HoldTimings.StartPriorityLimit"/>); null where generations start with it (the default).
    /// </summary>
    public int? StartPolicy { get; init; }

    /// <summary>Generations start under SCHED_IDLE (<see cref="StartPolicy"/>).</summary>
    public bool StartIdle => StartPolicy is not null;
}
