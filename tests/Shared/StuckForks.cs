using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;

namespace FdPasser.TestSupport;

/// <summary>
/// Kills a child of this process that is still a copy of it (same command line: it never reached exec) after
/// <see cref="Threshold"/>. Under qemu-user 7.2 a fork of a multithreaded process now and then hangs in the emulator
/// before exec; Process.Start waits for that exec with a lock held, so every later start in the suite waits too, and
/// the suite never ends. Killing the copy lets Process.Start return (the child looks like one that ended at once);
/// <see cref="TestProcesses.Start"/> sees that and starts the program again. Runs only under emulation: natively a
/// fork reaches exec in microseconds.
/// </summary>
internal sealed class StuckForks
{
    private static readonly Lazy<StuckForks?> s_default = new(() =>
        Emulation.Emulator is null ? null : new StuckForks(OwnCommandLine(), TimeSpan.FromSeconds(30), report: true).Start(),
        LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly byte[] _commandLine;
    private readonly bool _report;
    private readonly Dictionary<int, DateTime> _firstSeen = new();
    private readonly ConcurrentDictionary<int, DateTime> _killed = new();
    private readonly ManualResetEventSlim _stopped = new();

    /// <param name="commandLine">What /proc/PID/cmdline of a child that has not reached exec holds.</param>
    /// <param name="threshold">How long a child may stay such a copy before it is killed.</param>
    /// <param name="report">Whether each kill is written to standard error, where the suite's output shows it.</param>
    public StuckForks(byte[] commandLine, TimeSpan threshold, bool report = false)
    {
        _commandLine = commandLine;
        Threshold = threshold;
        _report = report;
    }

    /// <summary>The watchdog of this process under emulation, started on first use; null when running natively.</summary>
    public static StuckForks? Default => s_default.Value;

    public TimeSpan Threshold { get; }

    /// <summary>Scans every 2 s on a thread of its own: tests that block thread-pool threads must not delay it.</summary>
    public StuckForks Start()
    {
        new Thread(() =>
        {
            while (!_stopped.Wait(TimeSpan.FromSeconds(2)))
            {
                Scan();
            }
        })
        { IsBackground = true, Name = "stuck-fork watchdog" }.Start();
        return this;
    }

    public void Stop() => _stopped.Set();

    /// <summary>Notes that <paramref name="pid"/> is being killed as a stuck fork.</summary>
    public void Record(int pid) => _killed[pid] = DateTime.UtcNow;

    /// <summary>
    /// Whether <paramref name="pid"/> was killed as a stuck fork in the last minute (the pid is forgotten then: pids
    /// are reused, and the kill happens while the start that made the child is still waiting for it).
    /// </summary>
    public bool WasKilled(int pid) =>
        _killed.TryRemove(pid, out DateTime when) && DateTime.UtcNow - when < TimeSpan.FromMinutes(1);

    /// <summary>
    /// The children of <paramref name="self"/> to kill now: those whose command line has been <paramref name="own"/>
    /// for longer than <paramref name="threshold"/>. <paramref name="firstSeen"/> keeps when each copy was first
    /// seen, and forgets the ones gone or changed.
    /// </summary>
    public static List<int> Stuck(IEnumerable<ProcessEntry> processes, int self, ReadOnlySpan<byte> own,
        Dictionary<int, DateTime> firstSeen, DateTime now, TimeSpan threshold)
    {
        var copies = new HashSet<int>();
        var stuck = new List<int>();
        foreach (ProcessEntry process in processes)
        {
            if (process.Parent != self || process.State == 'Z' || !own.SequenceEqual(process.CommandLine))
            {
                continue;
            }
            copies.Add(process.Pid);
            if (!firstSeen.TryGetValue(process.Pid, out DateTime seen))
            {
                firstSeen[process.Pid] = now;
            }
            else if (now - seen >= threshold)
            {
                stuck.Add(process.Pid);
            }
        }
        foreach (int gone in firstSeen.Keys.Where(pid => !copies.Contains(pid)).ToList())
        {
            firstSeen.Remove(gone);
        }
        return stuck;
    }

    private int _scans;
    private List<ProcessEntry>? _lastSeen;

    /// <summary>How many scans ran and which children the last one saw, for a test's failure message.</summary>
    public string Describe() =>
        $"{Volatile.Read(ref _scans)} scan(s); children seen last: " +
        (Volatile.Read(ref _lastSeen) is { } seen ? string.Join("; ", seen.Select(c => $"pid {c.Pid} state {c.State} cmdline '{Text(c.CommandLine)}'")) : "none yet");

    /// <summary>A /proc command line as text, its NUL separators as spaces.</summary>
    public static string Text(byte[] commandLine) => System.Text.Encoding.UTF8.GetString(commandLine).Replace('\0', ' ');

    private void Scan()
    {
        lock (_firstSeen)
        {
            List<ProcessEntry> children = Children(Environment.ProcessId).ToList();
            Volatile.Write(ref _lastSeen, children);
            Interlocked.Increment(ref _scans);
            foreach (int pid in Stuck(children, Environment.ProcessId, _commandLine, _firstSeen, DateTime.UtcNow, Threshold))
            {
                Record(pid);
                try
                {
                    using Process stuck = Process.GetProcessById(pid);
                    stuck.Kill();
                    if (_report)
                    {
                        Console.Error.WriteLine($"killed pid {pid}: a fork of this test process that had not reached exec after {Threshold.TotalSeconds:0} s (a known hang of forks in multithreaded programs under {Emulation.Emulator ?? "emulation"}); its start is retried");
                    }
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    _killed.TryRemove(pid, out _);
                }
            }
        }
    }

    /// <summary>This process's command line as the kernel has it (under qemu-user /proc/self is the emulator's own answer, the task entry is not).</summary>
    private static byte[] OwnCommandLine() =>
        File.ReadAllBytes($"/proc/{Environment.ProcessId}/task/{Environment.ProcessId}/cmdline");

    private static IEnumerable<ProcessEntry> Children(int self)
    {
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }
            ProcessEntry? entry = Read(pid, self);
            if (entry is not null)
            {
                yield return entry;
            }
        }
    }

    private static ProcessEntry? Read(int pid, int self)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            string[] fields = ProcStat.FieldsAfterName(stat);
            int parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
            return parent != self ? null : new ProcessEntry(pid, parent, fields[0][0], File.ReadAllBytes($"/proc/{pid}/cmdline"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null; // gone while read
        }
    }
}

/// <summary>One /proc entry: its pid, parent, state letter and command line.</summary>
internal sealed record ProcessEntry(int Pid, int Parent, char State, byte[] CommandLine);
