using System.Collections.Generic;

namespace FdPasser.Cli.Hold;

/// <summary>Something that happened, fed to <see cref="HoldMachine.Handle"/>.</summary>
internal abstract record HoldEvent
{
    /// <summary>The generation's process was started.</summary>
    public sealed record Spawned(int Generation, int Pid) : HoldEvent;

    /// <summary>Starting the generation's process failed.</summary>
    public sealed record SpawnFailed(int Generation, string Reason) : HoldEvent;

    /// <summary>
    /// A notification (READY=1, STOPPING=1, STATUS=, MAINPID=) from the process the kernel named, with its lineage
    /// read when it arrived; <paramref name="NamedMainPid"/> is the lineage of the pid a MAINPID= names.
    /// </summary>
    public sealed record Notified(ProcessLineage Sender, IReadOnlyList<KeyValuePair<string, string>> Fields, ProcessLineage? NamedMainPid = null) : HoldEvent;

    /// <summary>A child ended (reaped), or a watched main pid is gone.</summary>
    public sealed record Exited(int Pid, ExitStatus Status) : HoldEvent;

    /// <summary>
    /// A reload was asked for (SIGHUP, or <c>fdpass hold --reload</c>); <paramref name="Waiter"/> is answered with
    /// its outcome (<c>--wait</c>), or after <paramref name="WaitFor"/> where it has not ended by then.
    /// </summary>
    public sealed record Reload(string Source, int? Waiter = null, System.TimeSpan? WaitFor = null) : HoldEvent;

    /// <summary>Under <c>--ready listening</c>: a process of the generation waits on every listener it was given.</summary>
    public sealed record Listening(int Generation, string How) : HoldEvent;

    /// <summary>fdpass hold is to stop (SIGTERM, SIGINT).</summary>
    public sealed record Stop(string Source) : HoldEvent;

    /// <summary>Time passed: deadlines are checked.</summary>
    public sealed record Tick : HoldEvent;
}
