using System;

namespace FdPasser.Cli.CommandLine;

/// <summary>The command line was wrong: the message says what, and the exit code is <see cref="ExitCodes.Usage"/>.</summary>
internal sealed class UsageException : Exception
{
    public UsageException(string message)
        : base(message)
    {
    }
}
