using System;
using System.Globalization;
using System.IO;

namespace FdPasser.Processes;

/// <summary>RLIMIT_NOFILE as Linux shows it in /proc/PID/limits (the "Max open files" row).</summary>
internal static class OpenFilesLimit
{
    /// <summary>The soft and hard limit of process <paramref name="pid"/> ("self" for this one); null where unreadable. "unlimited" is <see cref="long.MaxValue"/>.</summary>
    public static (long Soft, long Hard)? Read(string pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/limits"))
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
        if (Read("self") is { } own && n > own.Hard)
        {
            throw new ArgumentOutOfRangeException(nameof(ChildProcessOptions.OpenFilesSoftLimit), n,
                $"An open-files soft limit of {n} is above the hard limit ({own.Hard}), which the child inherits from this process.");
        }
    }
}
