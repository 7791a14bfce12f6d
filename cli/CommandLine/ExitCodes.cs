namespace FdPasser.Cli.CommandLine;

/// <summary>The process exit codes of every command (docs/cli.md lists them).</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Something failed: a system call, a connection, a file.</summary>
    public const int Failure = 1;

    /// <summary>The command line was wrong.</summary>
    public const int Usage = 2;

    /// <summary>The server answered with an error status instead of a descriptor.</summary>
    public const int Refused = 3;
}
