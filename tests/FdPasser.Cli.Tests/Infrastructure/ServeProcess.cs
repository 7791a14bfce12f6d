using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;

namespace FdPasser.Cli.Tests.Infrastructure;

/// <summary>A running <c>fdpass serve</c>: started, awaited until it listens, its log collected, stopped by a signal.</summary>
internal sealed class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _log = new();
    private readonly List<string> _errors = new();

    private ServeProcess(Process process)
    {
        _process = process;
    }

    public int ProcessId => _process.Id;

    public static ServeProcess Start(string endpoint, params string[] options) => StartBinary(Fdpass.Binary, endpoint, options);

    public static ServeProcess StartBinary(string binary, string endpoint, params string[] options)
    {
        var start = new ProcessStartInfo(binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add(endpoint);
        foreach (string option in options)
        {
            start.ArgumentList.Add(option);
        }
        var server = new ServeProcess(Process.Start(start)!);
        server._process.OutputDataReceived += (_, e) => server.Add(server._log, e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Add(server._errors, e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        if (!server.WaitForLog(line => line.Contains("listening on", StringComparison.Ordinal), TimeSpan.FromSeconds(20)))
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
            WaitForLog(l => l.Contains(text, StringComparison.Ordinal), count, TimeSpan.FromSeconds(10)),
            $"expected {count} log line(s) containing \"{text}\"; the log:\n{string.Join('\n', Log)}");
    }

    /// <summary>Sends a signal with kill(1) and waits for the exit code.</summary>
    public int Stop(string signal)
    {
        RunResult kill = Exec.Run("kill", new[] { "-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Equal(0, kill.ExitCode);
        Assert.True(_process.WaitForExit(TimeSpan.FromSeconds(15)), "fdpass serve did not stop after SIG" + signal);
        _process.WaitForExit();
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
