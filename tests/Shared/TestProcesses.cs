using System;
using System.Diagnostics;

namespace FdPasser.TestSupport;

/// <summary>Starts the suites' child processes: <see cref="Process.Start(ProcessStartInfo)"/>, again when <see cref="StuckForks"/> had to kill the fork.</summary>
internal static class TestProcesses
{
    private const int Attempts = 3;

    public static Process Start(ProcessStartInfo start) => Start(start, StuckForks.Default, Spawn);

    /// <summary>Starts with <paramref name="spawn"/>, again when <paramref name="watchdog"/> killed what it started.</summary>
    public static Process Start(ProcessStartInfo start, StuckForks? watchdog, Func<ProcessStartInfo, Process> spawn)
    {
        for (int attempt = 1; ; attempt++)
        {
            Process process = spawn(start);
            if (watchdog is null || attempt == Attempts || !watchdog.WasKilled(process.Id))
            {
                return process;
            }
            process.WaitForExit();
            process.Dispose();
        }
    }

    private static Process Spawn(ProcessStartInfo start) =>
        Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
}
