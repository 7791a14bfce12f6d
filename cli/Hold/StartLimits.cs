using FdPasser.Hosting;

namespace FdPasser.Cli.Hold;

/// <summary>
/// The open-files soft limit fdpass hold was started with, to give back to its generations. The .NET runtime raises
/// its own soft limit (RLIMIT_NOFILE) to the hard limit before any of fdpass runs, so the original is no longer this
/// process's; it is taken from the parent's, as /proc/PPID/limits shows it when hold starts: right when a shell
/// (with its <c>ulimit -n</c>) starts hold, not where a program sets a limit and execs hold (systemd's LimitNOFILE=,
/// prlimit, <c>sh -c 'ulimit -n N; exec fdpass hold …'</c>); there the generations keep hold's limit, as before.
/// </summary>
internal static class StartLimits
{
    /// <summary>The soft limit to give each generation; null to leave it as hold's (unknown, or above hold's hard limit).</summary>
    public static long? OpenFilesSoftLimit { get; } = Capture();

    private static long? Capture()
    {
        CliTarget target = CliTarget.Current;
        if (target.OpenFilesLimit() is not { } own ||
            target.OpenFilesLimitOf(target.Processes.ParentProcessId()) is not { } parent)
        {
            return null;
        }
        return parent.Soft <= own.Hard && parent.Soft != own.Soft && parent.Soft < long.MaxValue ? parent.Soft : null;
    }
}
