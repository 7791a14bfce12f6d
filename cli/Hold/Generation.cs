using System;

namespace FdPasser.Cli.Hold;

/// <summary>Where a generation is in its life.</summary>
internal enum GenerationState
{
    /// <summary>Started; has not said READY=1 yet.</summary>
    Starting,

    /// <summary>Said READY=1 and is the one serving.</summary>
    Ready,

    /// <summary>Replaced by a newer ready generation: sent SIGTERM, finishing what it has.</summary>
    Draining,

    /// <summary>Exited before READY=1 or was not ready in time: killed, the previous one keeps serving.</summary>
    RolledBack,

    /// <summary>Told to stop because fdpass hold itself stops.</summary>
    Stopping,
}

/// <summary>One run of COMMAND: the process fdpass hold started and what it has said so far.</summary>
internal sealed class Generation
{
    public Generation(int number, int pid, DateTime startedAt)
    {
        Number = number;
        Pid = pid;
        MainPid = pid;
        StartedAt = startedAt;
    }

    public int Number { get; }

    /// <summary>The process fdpass hold started (its child, which it reaps).</summary>
    public int Pid { get; }

    /// <summary>The process that is the service: <see cref="Pid"/> until it says MAINPID= (signals go here).</summary>
    public int MainPid { get; set; }

    public GenerationState State { get; set; } = GenerationState.Starting;

    public DateTime StartedAt { get; }

    public DateTime? ReadyAt { get; set; }

    /// <summary>The last STATUS= it sent.</summary>
    public string? Status { get; set; }

    /// <summary>It said STOPPING=1.</summary>
    public bool SaidStopping { get; set; }

    /// <summary>When a Starting generation is rolled back for not being ready.</summary>
    public DateTime? ReadyDeadline { get; set; }

    /// <summary>When a Ready generation has settled and the ready ones before it drain; null once it has (or where none was before it).</summary>
    public DateTime? SettleAt { get; set; }

    /// <summary>When a generation sent SIGTERM gets SIGKILL.</summary>
    public DateTime? KillAt { get; set; }

    public bool Killed { get; set; }

    /// <summary>Its first process (our child) has ended and been reaped.</summary>
    public bool ChildEnded { get; set; }

    /// <summary>How the first process ended: the generation's exit status where the main pid is not our child.</summary>
    public ExitStatus ChildStatus { get; set; }

    /// <summary>The main pid has ended (the same moment as <see cref="ChildEnded"/> where it is the first process).</summary>
    public bool MainEnded { get; set; }

    public string Describe() => MainPid == Pid ? $"generation {Number} (pid {Pid})" : $"generation {Number} (pid {Pid}, main pid {MainPid})";
}
