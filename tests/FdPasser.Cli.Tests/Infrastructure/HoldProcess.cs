using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using FdPasser.TestSupport;

namespace FdPasser.Cli.Tests.Infrastructure;

/// <summary>
/// A running <c>fdpass hold</c> over the python3-systemd test app, in a scratch directory: started, awaited until
/// its first generation is ready, its log collected, reloaded, stopped. Dispose leaves no process behind.
/// </summary>
internal sealed partial class HoldProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _log = new();
    private readonly List<string> _errors = new();
    private OutputLines? _output;

    private HoldProcess(Process process, string directory)
    {
        _process = process;
        Directory = directory;
    }

    public string Directory { get; }

    public int ProcessId => _process.Id;

    public string ControlPath => Path.Combine(Directory, "control.sock");

    /// <summary>The file the app reads at start to pick its behaviour (ok, exit, never-ready).</summary>
    public string ReleaseFile => Path.Combine(Directory, "release");

    /// <summary>The TCP port of the listener 'web'.</summary>
    public int Port { get; private set; }

    /// <summary>
    /// Starts <c>fdpass hold --listen web=LISTEN [options] -- /usr/bin/python3 hold_app.py --release FILE</c> and
    /// waits for generation 1 to be ready. The scratch directory is world-readable, for <c>--user</c>; "{dir}" in
    /// <paramref name="options"/> stands for it.
    /// </summary>
    public static HoldProcess Start(string listen = "tcp:127.0.0.1:0", params string[] options) => Start(listen, options, Array.Empty<string>());

    /// <summary>
    /// As <see cref="Start(string, string[])"/>, with COMMAND started by <paramref name="launcher"/> (a program and its
    /// arguments, before the app's own) that stays the app's parent; the app gets <c>--launched</c>.
    /// </summary>
    public static HoldProcess StartLaunched(string[] launcher, params string[] options) => Start("tcp:127.0.0.1:0", options, launcher);

    /// <summary>
    /// As <see cref="Start(string, string[])"/>, with fdpass hold itself started by <paramref name="wrapper"/> (a
    /// program and its arguments that sets something up and then execs fdpass, such as <c>nohup</c>), so that the
    /// process signalled is still fdpass hold.
    /// </summary>
    public static HoldProcess StartWrapped(string[] wrapper, params string[] options) => Start("tcp:127.0.0.1:0", options, Array.Empty<string>(), wrapper);

    /// <summary>As <see cref="Start(string, string[])"/> with another app of Hold/App (and the modules beside it).</summary>
    public static HoldProcess StartApp(string script, params string[] options) => Start("tcp:127.0.0.1:0", options, Array.Empty<string>(), script: script);

    private static HoldProcess Start(string listen, string[] options, string[] launcher, string[]? wrapper = null, string[]? command = null, string readyLine = "is ready", string? script = null)
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("fdp-hold-").FullName;
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        string source = script is null ? HoldApp.Script : Path.Combine(Path.GetDirectoryName(HoldApp.Script)!, script);
        foreach (string py in System.IO.Directory.GetFiles(Path.GetDirectoryName(HoldApp.Script)!, "*.py"))
        {
            File.Copy(py, Path.Combine(directory, Path.GetFileName(py)));
            File.SetUnixFileMode(Path.Combine(directory, Path.GetFileName(py)), (UnixFileMode)0b110_100_100);
        }
        string app = Path.Combine(directory, Path.GetFileName(source));
        string[] program = (wrapper ?? Array.Empty<string>()).Append(Fdpass.Binary).ToArray();
        var start = new ProcessStartInfo(program[0])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in program.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }
        foreach (string arg in new[] { "hold", "--listen", "web=" + listen, "--control", Path.Combine(directory, "control.sock") }
                     .Concat(options.Select(o => o.Replace("{dir}", directory, StringComparison.Ordinal))).Append("--").Concat(command ?? launcher.Concat(new[] { HoldApp.Python, app, "--release", Path.Combine(directory, "release") })
                     .Concat(launcher.Length > 0 ? new[] { "--launched" } : Array.Empty<string>())))
        {
            start.ArgumentList.Add(arg);
        }
        var hold = new HoldProcess(TestProcesses.Start(start), directory);
        hold._output = OutputLines.Follow(hold._process, line => hold.Add(hold._log, line), line => hold.Add(hold._errors, line));
        try
        {
            hold.AssertLogged("generation 1 (pid", readyLine, TimeSpan.FromSeconds(30));
            string listening = hold.Log.First(l => l.Contains("listening on web=", StringComparison.Ordinal));
            hold.Port = int.Parse(listening.Substring(listening.LastIndexOf(':') + 1), CultureInfo.InvariantCulture);
        }
        catch
        {
            hold.Dispose();
            throw;
        }
        return hold;
    }

    private void Add(List<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            lines.Add(line);
            Monitor.PulseAll(_log);
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

    public string Output => string.Join('\n', Log) + "\nstderr:\n" + string.Join('\n', _errors);

    public bool HasExited => _process.HasExited;

    /// <summary>Waits for a log line holding both texts; fails the test with the log where none comes in time.</summary>
    public string AssertLogged(string text, string alsoText, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        lock (_log)
        {
            while (true)
            {
                string? line = _log.Find(l => l.Contains(text, StringComparison.Ordinal) && l.Contains(alsoText, StringComparison.Ordinal));
                if (line is not null)
                {
                    return line;
                }
                TimeSpan left = deadline - DateTime.UtcNow;
                Assert.True(left > TimeSpan.Zero && !_process.HasExited, $"no log line with \"{text}\" and \"{alsoText}\" within {timeout.TotalSeconds} s:\n{Output}");
                Monitor.Wait(_log, TimeSpan.FromMilliseconds(Math.Min(200, left.TotalMilliseconds)));
            }
        }
    }

    /// <summary>The pid of generation <paramref name="number"/>, from the log's "generation N (pid P) started".</summary>
    public int PidOf(int number)
    {
        string line = AssertLogged($"generation {number} (pid ", "started", TimeSpan.FromSeconds(30));
        Match m = StartedLine().Match(line);
        return int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>Every generation the log says was started, with its pid.</summary>
    public Dictionary<int, int> PidsByGeneration()
    {
        var map = new Dictionary<int, int>();
        foreach (string line in Log)
        {
            Match m = StartedWithNumberLine().Match(line);
            if (m.Success)
            {
                map[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)] = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            }
        }
        return map;
    }

    public void Signal(string signal)
    {
        RunResult kill = Exec.Run("kill", new[] { "-" + signal, _process.Id.ToString(CultureInfo.InvariantCulture) });
        Assert.Equal(0, kill.ExitCode);
    }

    public RunResult Control(string request) => Fdpass.Run("hold", "--" + request, "--control", ControlPath);

    /// <summary>Sends a signal and waits for the exit code.</summary>
    public int Stop(string signal, int seconds = 30)
    {
        Signal(signal);
        Assert.True(_process.WaitForExit(TimeSpan.FromSeconds(seconds)), $"fdpass hold did not stop after SIG{signal}:\n{Output}");
        _output?.WaitForEnd(Timeout.InfiniteTimeSpan);
        return _process.ExitCode;
    }

    private static IEnumerable<int> ChildrenOf(int parent)
    {
        foreach (string dir in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // not a process, or gone
            }
            string[] afterName = ProcStat.FieldsAfterName(stat);
            if (afterName.Length > 1 && afterName[1] == parent.ToString(CultureInfo.InvariantCulture) &&
                int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                yield return pid;
            }
        }
    }

    public static bool IsRunning(int pid)
    {
        // A zombie has exited; only its parent has yet to collect it. The process may be reaped between any two
        // reads, so a missing file at any step means it is gone.
        try
        {
            return !File.ReadAllText($"/proc/{pid}/status").Contains("State:\tZ", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(); // SIGKILL: its generations are killed below
        }
        // Before waiting: the generations hold the output pipe open, and waiting reads it to its end. An app below
        // a launcher is found before the launcher is killed (it then becomes init's).
        int[] generations = PidsByGeneration().Values.ToArray();
        foreach (int pid in generations.Concat(generations.SelectMany(ChildrenOf)).ToArray())
        {
            if (IsRunning(pid))
            {
                Exec.Run("kill", new[] { "-KILL", pid.ToString(CultureInfo.InvariantCulture) });
            }
        }
        if (_process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            _output?.WaitForEnd(TimeSpan.FromSeconds(10));
        }
        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex(@"generation \d+ \(pid (\d+)\) started")]
    private static partial Regex StartedLine();

    [GeneratedRegex(@"generation (\d+) \(pid (\d+)\) started")]
    private static partial Regex StartedWithNumberLine();
}
