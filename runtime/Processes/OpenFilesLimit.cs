using System;
using System.Globalization;
using System.IO;
using FdPasser.Platform;

namespace FdPasser.Processes;

/// <summary>
/// RLIMIT_NOFILE: this process's from getrlimit(), another's as the target's PROC_PID_LIMITS file shows it (Linux
/// /proc/PID/limits, the "Max open files" row).
/// </summary>
internal static class OpenFilesLimit
{
    /// <summary>This process's soft and hard limit (getrlimit); null where unknown. "unlimited" is <see cref="long.MaxValue"/>.</summary>
    public static (long Soft, long Hard)? Own() => Target.Current.Processes.OpenFilesLimit();

    /// <summary>The soft and hard limit of process <paramref name="pid"/>; null where unreadable. "unlimited" is <see cref="long.MaxValue"/>.</summary>
    public static (long Soft, long Hard)? Read(int pid)
    {
        if (ProcPaths.Of(Target.Current.Constants.PROC_PID_LIMITS, pid) is not { } path)
        {
            return null;
        }
        try
        {
            foreach (string line in File.ReadLines(path))
            {
                if (!line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    continue;
                }
                string[] parts = line.Substring("Max open files".Length).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return parts.Length >= 2 && Parse(parts[0]) is long soft && Parse(parts[1]) is long hard ? (soft, hard) : null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    private static long? Parse(string s) =>
        s == "unlimited" ? long.MaxValue : long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : null;

    /// <summary>Refuses a soft limit the shell step's <c>ulimit -S -n</c> would refuse, or one the passed descriptors do not fit under.</summary>
    public static void Validate(long? requested, int descriptorsNeeded)
    {
        if (requested is not long n)
        {
            return;
        }
        if (n < descriptorsNeeded)
        {
            throw new ArgumentOutOfRangeException(nameof(ChildProcessOptions.OpenFilesSoftLimit), n,
                $"An open-files soft limit of {n} does not hold the child's standard streams and passed descriptors ({descriptorsNeeded}).");
        }
        if (Own() is { } own && n > own.Hard)
        {
            throw new ArgumentOutOfRangeException(nameof(ChildProcessOptions.OpenFilesSoftLimit), n,
                $"An open-files soft limit of {n} is above the hard limit ({own.Hard}), which the child inherits from this process.");
        }
    }
}
