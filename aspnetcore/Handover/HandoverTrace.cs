using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Net;
using System.Text;

namespace FdPasser.AspNetCore.Handover;

/// <summary>
/// Bench instrumentation, off unless <c>FDPASSER_HANDOVER_TRACE</c> names a path: each process appends one line per
/// handover event to <c>PATH.PID</c> ("event client-port monotonic-ns detail gen0-collections"), so bench/kestrel/reload_keepalive.py
/// can tell in which phase a slow request waited. The clock is CLOCK_MONOTONIC (Stopwatch on Linux), the one a
/// Python client's time.monotonic() reads, so client and server times compare directly.
/// </summary>
internal static class HandoverTrace
{
    private static readonly StreamWriter? Writer = Open();
    private static readonly object Lock = new();

    public static bool Enabled => Writer is not null;

    /// <summary>Records <paramref name="name"/> for the connection whose client is <paramref name="client"/> (0 for none).</summary>
    public static void Mark(string name, EndPoint? client = null, long detail = 0)
    {
        if (Writer is null)
        {
            return;
        }
        int port = client is IPEndPoint ip ? ip.Port : 0;
        long ns = (long)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));
        string line = string.Create(CultureInfo.InvariantCulture, $"{name} {port} {ns} {detail} {GC.CollectionCount(0)}");
        lock (Lock)
        {
            Writer.WriteLine(line);
        }
    }

    private static StreamWriter? Open()
    {
        string? path = Environment.GetEnvironmentVariable("FDPASSER_HANDOVER_TRACE");
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }
        try
        {
            var stream = new FileStream(path + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture), FileMode.Append, FileAccess.Write, FileShare.Read);
            return new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true };
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
