using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;
using FdPasser.TestSupport;

namespace FdPasser.Tests;

/// <summary>The suites' guard against forks that never reach exec under qemu-user (tests/Shared/StuckForks.cs).</summary>
public sealed class StuckForksTests
{
    private const int Self = 100;
    private static readonly byte[] Own = Encoding.ASCII.GetBytes("./FdPasser.Tests\0-noColor\0");
    private static readonly TimeSpan Threshold = TimeSpan.FromSeconds(30);

    [Fact]
    public void A_child_still_a_copy_of_this_process_is_killed_only_after_the_threshold()
    {
        var seen = new Dictionary<int, DateTime>();
        DateTime t0 = new(2026, 11, 30, 0, 0, 0, DateTimeKind.Utc);
        ProcessEntry[] table =
        {
            new(201, Self, 'S', Own),                                           // a copy: not exec'd yet
            new(202, Self, 'S', Encoding.ASCII.GetBytes("fdpass\0serve\0")),    // exec'd
            new(203, Self, 'Z', Own),                                           // a zombie keeps no command line of note
            new(204, 999, 'S', Own),                                            // someone else's child
        };

        Assert.Empty(StuckForks.Stuck(table, Self, Own, seen, t0, Threshold));
        Assert.Empty(StuckForks.Stuck(table, Self, Own, seen, t0 + Threshold - TimeSpan.FromSeconds(1), Threshold));
        Assert.Equal(new[] { 201 }, StuckForks.Stuck(table, Self, Own, seen, t0 + Threshold, Threshold));
        Assert.Equal(new[] { 201 }, seen.Keys);
    }

    [Fact]
    public void A_copy_that_execs_or_ends_is_forgotten()
    {
        var seen = new Dictionary<int, DateTime>();
        DateTime t0 = new(2026, 11, 30, 0, 0, 0, DateTimeKind.Utc);
        StuckForks.Stuck(new[] { new ProcessEntry(201, Self, 'S', Own) }, Self, Own, seen, t0, Threshold);

        StuckForks.Stuck(new[] { new ProcessEntry(201, Self, 'S', Encoding.ASCII.GetBytes("sh\0")) }, Self, Own, seen, t0 + TimeSpan.FromSeconds(1), Threshold);
        Assert.Empty(seen);
        // The same pid as a new copy later starts its own clock.
        Assert.Empty(StuckForks.Stuck(new[] { new ProcessEntry(201, Self, 'S', Own) }, Self, Own, seen, t0 + Threshold * 2, Threshold));
    }

    [Fact]
    public void The_watchdog_kills_a_child_whose_command_line_stays_the_given_one()
    {
        using Process sleeper = Process.Start(new ProcessStartInfo("sleep", new[] { "60" }))!;
        byte[] commandLine = CommandLineOnceSet(sleeper.Id);
        var watchdog = new StuckForks(commandLine, TimeSpan.FromSeconds(1)).Start();
        try
        {
            Assert.True(sleeper.WaitForExit(TimeSpan.FromSeconds(30)),
                $"the watchdog did not kill the copy (pid {sleeper.Id}, cmdline '{StuckForks.Text(commandLine)}') within 30 s: {watchdog.Describe()}");
            Assert.True(sleeper.ExitCode == 128 + 9, $"the copy ended with exit code {sleeper.ExitCode}, not 137 (SIGKILL)");
            Assert.True(watchdog.WasKilled(sleeper.Id), $"the copy (pid {sleeper.Id}) ended, but the watchdog does not report killing it");
            Assert.False(watchdog.WasKilled(sleeper.Id), "a kill is reported once: pids are reused");
        }
        finally
        {
            watchdog.Stop();
            if (!sleeper.HasExited)
            {
                sleeper.Kill();
            }
        }
    }

    [Fact]
    public void A_start_whose_fork_was_killed_is_made_again()
    {
        var watchdog = new StuckForks(Array.Empty<byte>(), Threshold);
        var started = new List<int>();
        Process Spawn(ProcessStartInfo start)
        {
            if (started.Count == 0)
            {
                // As the watchdog does to a stuck fork: noted, killed, and Process.Start returns it.
                Process stuck = Process.Start(new ProcessStartInfo("sleep", new[] { "60" }))!;
                watchdog.Record(stuck.Id);
                stuck.Kill();
                started.Add(stuck.Id);
                return stuck;
            }
            Process process = Process.Start(start)!;
            started.Add(process.Id);
            return process;
        }

        using Process echo = TestProcesses.Start(new ProcessStartInfo("echo", new[] { "started" }) { RedirectStandardOutput = true }, watchdog, Spawn);

        Assert.Equal(2, started.Count);
        Assert.Equal(started[1], echo.Id);
        Assert.Equal("started", echo.StandardOutput.ReadToEnd().Trim());
        Assert.False(Directory.Exists($"/proc/{started[0]}") && !File.ReadAllText($"/proc/{started[0]}/stat").Contains(") Z ", StringComparison.Ordinal),
            "the killed start is not left running");
    }

    /// <summary>
    /// The command line of a program just started. Process.Start returns when its exec has closed the
    /// close-on-exec pipe it waits on, which the kernel does before it sets the new program's arguments: read at
    /// once, /proc/PID/cmdline can still be empty (153 of 500 reads right after Process.Start here), and a watchdog
    /// told to look for an empty command line never finds the child: this test then failed now and then.
    /// </summary>
    private static byte[] CommandLineOnceSet(int pid)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            byte[] commandLine = File.ReadAllBytes($"/proc/{pid}/cmdline");
            if (commandLine.Length > 0 || clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                return commandLine;
            }
            Thread.Sleep(1);
        }
    }
}
