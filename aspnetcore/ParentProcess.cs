using System;
using System.Globalization;
using System.IO;

namespace FdPasser.AspNetCore;

/// <summary>This process's parent, from /proc (Linux): .NET has no API for it.</summary>
internal static class ParentProcess
{
    /// <summary>The parent's pid, or null where /proc/self/status is not there or has no PPid line.</summary>
    public static int? Id()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("PPid:", StringComparison.Ordinal)
                    && int.TryParse(line.AsSpan(5).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
                {
                    return pid;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }
}
