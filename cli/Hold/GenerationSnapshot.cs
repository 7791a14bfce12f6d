using System;

namespace FdPasser.Cli.Hold;

/// <summary>
/// One run of COMMAND as it was when <see cref="HoldMachine.Generations"/> was read: the process fdpass hold started
/// and what it has said so far. Immutable; the machine alone changes its generations.
/// </summary>
internal sealed record GenerationSnapshot(int Number, int Pid, DateTime StartedAt)
{
    /// <summary>The process that is the service: <see cref="Pid"/> until it says MAINPID= (signals go here).</summary>
    public int MainPid { get; init; } = Pid;

    public GenerationState State { get; init; } = GenerationState.Starting;

    public DateTime? ReadyAt { get; init; }

    /// <summary>The last STATUS= it sent.</summary>
    public string? Status { get; init; }

    /// <summary>It said STOPPING=1.</summary>
    public bool SaidStopping { get; init; }

    /// <summary>When a Starting generation is rolled back for not being ready.</summary>
    public DateTime? ReadyDeadline { get; init; }

    /// <summary>When a Ready generation has settled and the ready ones before it drain; null once it has (or where none was before it).</summary>
    public DateTime? SettleAt { get; init; }

    /// <summary>When a generation sent SIGTERM gets SIGKILL.</summary>
    public DateTime? KillAt { get; init; }

    public bool Killed { get; init; }

    /// <summary>Its first process (our child) has ended and been reaped.</summary>
    public bool ChildEnded { get; init; }

    /// <summary>How the first process ended: the generation's exit status where the main pid is not our child.</summary>
    public ExitStatus ChildStatus { get; init; }

    /// <summary>The main pid has ended (the same moment as <see cref="ChildEnded"/> where it is the first process).</summary>
    public bool MainEnded { get; init; }

    public string Describe() => Describe(Number, Pid, MainPid);

    internal static string Describe(int number, int pid, int mainPid) =>
        mainPid == pid ? $"generation {number} (pid {pid})" : $"generation {number} (pid {pid}, main pid {mainPid})";
}
