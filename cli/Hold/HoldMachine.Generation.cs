using System;

namespace FdPasser.Cli.Hold;

internal sealed partial class HoldMachine
{
    /// <summary>One run of COMMAND as the machine keeps it: changed by the machine alone, seen outside as <see cref="GenerationSnapshot"/>.</summary>
    private sealed class Generation
    {
        public Generation(int number, int pid, DateTime startedAt)
        {
            Number = number;
            Pid = pid;
            MainPid = pid;
            StartedAt = startedAt;
        }

        /// <summary>Takes up a generation as a previous program of this fdpass hold handed it over.</summary>
        public Generation(GenerationSnapshot s)
            : this(s.Number, s.Pid, s.StartedAt)
        {
            MainPid = s.MainPid;
            State = s.State;
            ReadyAt = s.ReadyAt;
            Status = s.Status;
            SaidStopping = s.SaidStopping;
            ReadyDeadline = s.ReadyDeadline;
            SettleAt = s.SettleAt;
            KillAt = s.KillAt;
            Killed = s.Killed;
            ChildEnded = s.ChildEnded;
            ChildStatus = s.ChildStatus;
            MainEnded = s.MainEnded;
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

        /// <summary>When a generation started under SCHED_IDLE gets its policy back if not ready by then (<c>--start-priority idle</c>); null once restored.</summary>
        public DateTime? PriorityRestoreAt { get; set; }

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

        public string Describe() => GenerationSnapshot.Describe(Number, Pid, MainPid);

        public GenerationSnapshot Snapshot() => new(Number, Pid, StartedAt)
        {
            MainPid = MainPid,
            State = State,
            ReadyAt = ReadyAt,
            Status = Status,
            SaidStopping = SaidStopping,
            ReadyDeadline = ReadyDeadline,
            SettleAt = SettleAt,
            KillAt = KillAt,
            Killed = Killed,
            ChildEnded = ChildEnded,
            ChildStatus = ChildStatus,
            MainEnded = MainEnded,
        };
    }
}
