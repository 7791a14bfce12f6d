namespace FdPasser.Processes;

/// <summary>How a child process ended, from its wait status.</summary>
/// <param name="ExitCode">The exit code where it exited; -1 where a signal ended it or the status is unknown.</param>
/// <param name="Signal">The number of the signal that ended it; 0 where it exited or the status is unknown.</param>
/// <param name="IsKnown">False where something else in this process reaped it first (then both are unknown).</param>
public readonly record struct ChildExitStatus(int ExitCode, int Signal, bool IsKnown = true)
{
    /// <summary>True where it exited with code 0.</summary>
    public bool Succeeded => IsKnown && Signal == 0 && ExitCode == 0;

    /// <inheritdoc />
    public override string ToString() =>
        !IsKnown ? "ended (status collected elsewhere)" : Signal != 0 ? $"killed by signal {Signal}" : $"exited with code {ExitCode}";

    // The traditional encoding every supported system shares: low 7 bits the signal (0 = exited), next byte the code.
    internal static ChildExitStatus FromWaitStatus(int status)
    {
        int signal = status & 0x7f;
        return signal == 0 ? new ChildExitStatus((status >> 8) & 0xff, 0) : new ChildExitStatus(-1, signal);
    }
}
