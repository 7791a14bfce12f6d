using System;
using System.Globalization;

namespace FdPasser.Systemd;

/// <summary>
/// The socket-activation variables read as <c>sd_listen_fds_with_names</c> reads them, with no I/O: whether they
/// are meant for this process, how many descriptors from 3 it was given, and their names.
/// </summary>
internal static class ListenEnvironment
{
    /// <summary>The first passed descriptor (SD_LISTEN_FDS_START).</summary>
    public const int FirstDescriptor = 3;

    // systemd refuses counts that would run past INT_MAX; a real table is far smaller.
    private const int MaxCount = int.MaxValue - FirstDescriptor;

    /// <summary>
    /// Null where nothing was passed to this process (no LISTEN_PID, or another process's); otherwise each
    /// descriptor's name, "unknown" where none was given. Throws <see cref="FormatException"/> where the variables
    /// are there but malformed.
    /// </summary>
    public static string[]? Parse(int processId, string? listenPid, string? listenFds, string? listenFdNames)
    {
        if (listenPid is null)
        {
            return null;
        }
        if (!int.TryParse(listenPid, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid <= 0)
        {
            throw new FormatException($"LISTEN_PID='{listenPid}' is not a process id.");
        }
        if (pid != processId)
        {
            return null;
        }
        if (listenFds is null)
        {
            return null;
        }
        if (!int.TryParse(listenFds, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count > MaxCount)
        {
            throw new FormatException($"LISTEN_FDS='{listenFds}' is not a count of descriptors.");
        }
        var names = new string[count];
        if (listenFdNames is null)
        {
            names.AsSpan().Fill(DescriptorNames.Unknown);
            return names;
        }
        string[] given = count == 0 && listenFdNames.Length == 0 ? Array.Empty<string>() : listenFdNames.Split(':');
        if (given.Length != count)
        {
            throw new FormatException($"LISTEN_FDNAMES names {given.Length} descriptors but LISTEN_FDS={count}.");
        }
        for (int i = 0; i < count; i++)
        {
            // libsystemd passes names through unchecked; an empty one is what an unnamed slot looks like.
            names[i] = given[i].Length == 0 ? DescriptorNames.Unknown : given[i];
        }
        return names;
    }
}
