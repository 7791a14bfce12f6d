using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using FdPasser.TestSupport;

namespace FdPasser.Cli.Tests.Infrastructure;

/// <summary>A running <c>fdpass serve</c>: started, awaited until it listens, its log collected, stopped by a signal.</summary>
internal sealed class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _log = new();
    private readonly List<string> _errors = new();
    private OutputLines? _output;

    private ServeProcess(Process process)
    {
        _process = process;
    }

    public int ProcessId => _process.Id;

    public static ServeProcess Start(string endpoint, params string[] options) => StartBinary(Fdpass.Binary, endpoint, options);

    public static ServeProcess StartBinary(string binary, string endpoint, params string[] options) =>
        Start(binary, new[] { "serve", endpoint }.Concat(options));

    /// <summary>Starts fdpass serve with RLIMIT_NOFILE lowered to <paramref name="openFiles"/> (bash's ulimit, then exec: the pid is fdpass's).</summary>
    public static ServeProcess StartWithDescriptorLimit(int openFiles, string endpoint, params string[] options) =>
        Start("bash", new[] { "-c", $"ulimit -n {openFiles} && exec \"$@\"", "bash", Fdpass.Binary, "serve", endpoint }.Concat(options));

    /// <summary>Starts fdpass serve with FDPASS_SERVE_OPENAT2=0: paths are walked with openat even where openat2 exists.</summary>
    public static ServeProcess StartWithoutOpenat2(string endpoint, params string[] options) =>
        Start(Fdpass.Binary, new[] { "serve", endpoint }.Concat(options), ("FDPASS_SERVE_OPENAT2", "0"));

    private static ServeProcess Start(string program, IEnumerable<string> args, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        var server = new ServeProcess(TestProcesses.Start(start));
        server._output = OutputLines.Follow(server._process, line => server.Add(server._log, line), line => server.Add(server._errors, line));
        if (!server.WaitForLog(line => line.Contains("listening on", StringComparison.Ordinal), TestTiming.Seconds(20)))
        {
            server.Dispose();
            throw new InvalidOperationException($"fdpass serve did not start: {server.Errors}");
        }
        return server;
    }

    private void Add(List<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (lines)
        {
            lines.Add(line);
            Monitor.PulseAll(lines);
        }
    }

    public string[] Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToArray();
            }
        }
    }

    public string Errors
    {
        get
        {
            lock (_errors)
            {
                return string.Join('\n', _errors);
            }
        }
    }

    public bool WaitForLog(Func<string, bool> match, TimeSpan timeout) => WaitForLog(match, 1, timeout);

    /// <summary>Waits until at least <paramref name="count"/> log lines match (the server logs a request after answering it).</summary>
    public bool WaitForLog(Func<string, bool> match, int count, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        lock (_log)
        {
            while (_log.Count(match) < count)
            {
                TimeSpan left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || _process.HasExited)
                {
                    return _log.Count(match) >= count;
                }
                Monitor.Wait(_log, TimeSpan.FromMilliseconds(Math.Min(200, left.TotalMilliseconds)));
            }
            return true;
        }
    }

    /// <summary>Waits (up to 10 s) for a log line containing <paramref name="text"/>; fails the test with the log where none comes.</summary>
    public void AssertLogged(string text, int count = 1)
    {
        Assert.True(
            WaitForLog(l => l.Contains(text, StringComparison.Ordinal), count, TestTiming.Seconds(10)),
            $"expected {count} log line(s) containing \"{text}\"; the log:\n{string.Join('\n', Log)}");
    }

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// The server's open descriptors, each as "N -> target", read from /proc/PID/fd (Linux). The runtime's
    /// assembly files are left out: the runtime opens each on the first use of code in it and keeps it open for
    /// the life of the process, so they grow with the code paths a test reaches, not with what clients do.
    /// </summary>
    public string[] Descriptors()
    {
        var list = new List<string>();
        foreach (string entry in System.IO.Directory.GetFiles($"/proc/{_process.Id}/fd"))
        {
            string? target;
            try
            {
                target = new System.IO.FileInfo(entry).LinkTarget;
            }
            catch (System.IO.IOException)
            {
                continue; // closed while being listed
            }
            if (target is not null && target.EndsWith(".dll", StringComparison.Ordinal))
            {
                continue;
            }
            list.Add(System.IO.Path.GetFileName(entry) + " -> " + target);
        }
        return list.ToArray();
    }

    /// <summary>
    /// Takes the server's descriptor count as a baseline once it is steady: after one request has been served
    /// (the runtime opens some descriptors lazily, on first use) and the count has stopped moving.
    /// </summary>
    public string[] SteadyDescriptors()
    {
        string[] last = Descriptors();
        for (int i = 0; i < 20; i++)
        {
            Thread.Sleep(100);
            string[] now = Descriptors();
            if (now.Length == last.Length)
            {
                return now;
            }
            last = now;
        }
        return last;
    }

    /// <summary>
    /// Waits (up to 15 s) until the server holds no more descriptors than at <paramref name="baseline"/>; fails
    /// the test with both listings where it does not. A leaked descriptor does not go away by waiting; a
    /// connection the server is still closing does.
    /// </summary>
    public void AssertDescriptorsBackTo(string[] baseline)
    {
        Assert.False(_process.HasExited, "fdpass serve exited: " + Errors);
        DateTime deadline = DateTime.UtcNow + TestTiming.Seconds(15);
        string[] now = Descriptors();
        while (now.Length > baseline.Length && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
            now = Descriptors();
        }
        Assert.True(
            now.Length <= baseline.Length,
            $"the server holds {now.Length} descriptors, {baseline.Length} at the baseline.\nnow: {string.Join("; ", now)}\nbaseline: {string.Join("; ", baseline)}");
    }

    /// <summary>Sends a signal with kill(1) and waits for the exit code.</summary>
    public int Stop(string signal)
    {
        RunResult kill = Exec.Run("kill", new[] { "-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Equal(0, kill.ExitCode);
        Assert.True(_process.WaitForExit(TestTiming.Seconds(15)), "fdpass serve did not stop after SIG" + signal);
        _output?.WaitForEnd(Timeout.InfiniteTimeSpan);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
