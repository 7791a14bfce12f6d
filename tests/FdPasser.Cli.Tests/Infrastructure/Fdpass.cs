using System;
using System.IO;
using FdPasser.TestSupport;

namespace FdPasser.Cli.Tests.Infrastructure;

/// <summary>The fdpass built beside the tests (its apphost), run as a separate process.</summary>
internal static class Fdpass
{
    public static string Binary { get; } = TestPrograms.Fdpass ?? Path.Combine(AppContext.BaseDirectory, "fdpass");

    public static RunResult Run(params string[] args) => Exec.Run(Binary, args);

    public static RunResult RunWithInput(string stdin, params string[] args) => Exec.Run(Binary, args, stdin);

    /// <summary>This process's uid, as the kernel reports it across a socket pair.</summary>
    public static uint OwnUid()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            return a.GetPeerCredentials().UserId;
        }
    }
}

/// <summary>errno values the server answers with; the same numbers on every system FdPasser supports.</summary>
internal static class Errno
{
    public const int ENOENT = 2;
    public const int EACCES = 13;
    public const int EINVAL = 22;
}
