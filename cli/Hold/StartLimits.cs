using System;
using System.Globalization;
using System.IO;

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
        if (Read("self") is not { } own || Read(ParentId()) is not { } parent)
        {
            return null;
        }
        return parent.Soft <= own.Hard && parent.Soft != own.Soft && parent.Soft < long.MaxValue ? parent.Soft : null;
    }

    private static string ParentId()
    {
        // /proc/self/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses, so read after the last ')'.
        string stat = File.ReadAllText("/proc/self/stat");
        string[] after = stat.Substring(stat.LastIndexOf(')') + 2).Split(' ');
        return after[1];
    }

    private static (long Soft, long Hard)? Read(string pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/limits"))
            {
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    string[] parts = line.Substring("Max open files".Length).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return (Parse(parts[0]), Parse(parts[1]));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException or FormatException)
        {
        }
        return null;
    }

    private static long Parse(string s) => s == "unlimited" ? long.MaxValue : long.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture);
}
