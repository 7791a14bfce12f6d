using System;
using System.Globalization;
using System.IO;
using FdPasser.Hosting;

namespace FdPasser.Cli.Server;

/// <summary>
/// How many connections the server serves at once, so that its clients can never fill its descriptor table.
/// Each connection holds its socket and, while an answer is sent, the opened file: two descriptors. The runtime
/// opens descriptors of its own on first use of code (its assembly files) and cannot recover when that fails
/// (a type initializer that failed stays failed), so a margin is always kept free for it.
/// </summary>
internal static class ConnectionLimit
{
    /// <summary>The most connections served at once by default, where the descriptor limit allows more.</summary>
    public const int DefaultMaximum = 1024;

    /// <summary>Descriptors left free for the runtime.</summary>
    public const int Margin = 64;

    /// <summary>Descriptors each connection may hold at once: its socket and the file being passed.</summary>
    public const int PerConnection = 2;

    /// <summary>
    /// The default: <see cref="DefaultMaximum"/>, or fewer where RLIMIT_NOFILE leaves room for fewer (at least
    /// one). The limit and the open descriptors are read from /proc (Linux); elsewhere the default stands.
    /// </summary>
    public static int Default(out string? note)
    {
        note = null;
        if (ReadOpenFilesLimit() is not { } limit || CountOpenDescriptors() is not { } open)
        {
            return DefaultMaximum;
        }
        long room = (limit - open - Margin) / PerConnection;
        if (room >= DefaultMaximum)
        {
            return DefaultMaximum;
        }
        int maximum = (int)Math.Max(1, room);
        note = $"the descriptor limit (RLIMIT_NOFILE {limit}, {open} open) leaves room for {maximum} connection(s) at once; raise it with 'ulimit -n' to serve more";
        return maximum;
    }

    /// <summary>The soft RLIMIT_NOFILE (getrlimit); null where it cannot be read or is unlimited.</summary>
    private static long? ReadOpenFilesLimit() =>
        CliTarget.Current.OpenFilesLimit() is { Soft: long soft } && soft != long.MaxValue ? soft : null;

    private static int? CountOpenDescriptors()
    {
        try
        {
            return CliTarget.Current.OwnProcessPath(CliTarget.Current.Constants.PROC_PID_FD) is { } fds ? Directory.GetFileSystemEntries(fds).Length : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
