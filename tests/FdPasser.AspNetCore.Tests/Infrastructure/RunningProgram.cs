using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using FdPasser.TestSupport;

namespace FdPasser.AspNetCore.Tests.Infrastructure;

/// <summary>A program run for a test with its output collected; dispose kills it and every pid it was told about.</summary>
internal sealed class RunningProgram : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = new();
    private readonly List<int> _alsoKill = new();
    private readonly OutputLines _output;

    public RunningProgram(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        _process = Process.Start(start)!;
        _output = OutputLines.Follow(_process, Add, Add);
    }

    public int ProcessId => _process.Id;

    public string Output
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lines)
        {
            _lines.Add(line);
            Monitor.PulseAll(_lines);
        }
    }

    /// <summary>Waits for an output line holding <paramref name="text"/>; fails the test with the output where none comes.</summary>
    public string WaitFor(string text, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        lock (_lines)
        {
            while (true)
            {
                string? line = _lines.Find(l => l.Contains(text, StringComparison.Ordinal));
                if (line is not null)
                {
                    return line;
                }
                TimeSpan left = deadline - DateTime.UtcNow;
                Assert.True(left > TimeSpan.Zero, $"no line with \"{text}\" within {timeout.TotalSeconds} s:\n{string.Join('\n', _lines)}");
                Monitor.Wait(_lines, TimeSpan.FromMilliseconds(Math.Min(200, left.TotalMilliseconds)));
            }
        }
    }

    public void KillOnDispose(int pid) => _alsoKill.Add(pid);

    public static void Signal(int pid, string signal)
    {
        using Process kill = Process.Start("kill", new[] { "-" + signal, pid.ToString(CultureInfo.InvariantCulture) });
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Sends SIGTERM and waits for the exit code.</summary>
    public int Terminate(TimeSpan timeout)
    {
        Signal(_process.Id, "TERM");
        return WaitForExit(timeout);
    }

    public int WaitForExit(TimeSpan timeout)
    {
        Assert.True(_process.WaitForExit(timeout), $"pid {_process.Id} did not exit within {timeout.TotalSeconds} s:\n{Output}");
        _output.WaitForEnd(Timeout.InfiniteTimeSpan);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }
        foreach (int pid in _alsoKill)
        {
            try
            {
                using Process p = Process.GetProcessById(pid);
                p.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // gone already
            }
        }
        if (_process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            _output.WaitForEnd(TimeSpan.FromSeconds(10));
        }
        _process.Dispose();
    }
}
