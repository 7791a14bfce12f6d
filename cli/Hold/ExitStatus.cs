namespace FdPasser.Cli.Hold;

/// <summary>How a process ended: an exit code, or the signal that killed it; neither where it was not our child.</summary>
internal readonly record struct ExitStatus(int? Code, int? Signal, string? SignalName = null)
{
    public override string ToString() =>
        Code is { } code ? $"exit code {code}"
        : Signal is { } signal ? $"killed by {SignalName ?? "signal " + signal}"
        : "ended";
}
