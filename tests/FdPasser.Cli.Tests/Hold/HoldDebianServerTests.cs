using System;
using System.IO;
using System.Linq;
using FdPasser.Cli.Tests.Infrastructure;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>
/// Servers from Debian packages, unchanged, under fdpass hold with reloads under a bounded loopback load (a new
/// connection per request): gunicorn (takes LISTEN_FDS, says READY=1) and uvicorn (takes --fd 3, never says
/// READY=1: --ready listening). The command lines are docs/hold.md's examples.
/// </summary>
[Collection("fdpass hold")]
public sealed class HoldDebianServerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static string AppDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "Hold", "App");

    private static readonly Lazy<bool> s_uvicorn = new(() =>
        File.Exists(HoldApp.Python) && Exec.Run(HoldApp.Python, new[] { "-c", "import uvicorn" }).ExitCode == 0);

    [Fact]
    public void Gunicorn_unchanged_reloads_under_load_with_no_failed_request()
    {
        Assert.SkipUnless(File.Exists("/usr/bin/gunicorn"), "/usr/bin/gunicorn is missing: install the Debian package gunicorn.");
        using HoldProcess hold = HoldProcess.StartCommand(
            Array.Empty<string>(), new[] { "/usr/bin/gunicorn", "--workers", "2", "--chdir", AppDirectory, "web_app:wsgi" });

        ReloadUnderLoad(hold);
    }

    [Fact]
    public void Uvicorn_without_notify_reloads_under_ready_listening_under_load_with_no_refused_connection()
    {
        Assert.SkipUnless(s_uvicorn.Value, "/usr/bin/python3 cannot import uvicorn: install the Debian package python3-uvicorn.");
        using HoldProcess hold = HoldProcess.StartCommand(
            new[] { "--ready", "listening" },
            new[] { HoldApp.Python, "-m", "uvicorn", "--fd", "3", "--app-dir", AppDirectory, "web_app:asgi" },
            "ready (--ready listening)");

        // uvicorn's stop (asyncio's Server.close) closes connections it had accepted but not yet read, which their
        // clients see as a reset or an end of stream with no answer (docs/hold.md, "Servers from Debian packages"):
        // that is uvicorn's, not hold's, so those are allowed here; a refused connection or any other failure is not.
        ReloadUnderLoad(hold, resetsByTheServersStop: true);
    }

    /// <summary>Three reloads with --reload --wait under 8 clients; every request answered, each by the generation the log names.</summary>
    private static void ReloadUnderLoad(HoldProcess hold, bool resetsByTheServersStop = false)
    {
        using HttpLoad load = HttpLoad.Start(hold.Port, clients: 8);
        load.WaitFor(30);
        for (int n = 2; n <= 4; n++)
        {
            RunResult reload = Fdpass.Run("hold", "--reload", "--wait", "--timeout", "60", "--control", hold.ControlPath);
            Assert.True(reload.ExitCode == 0, $"{reload}\n{hold.Output}");
            Assert.EndsWith($"generation {n} is ready: pid {hold.PidOf(n)}\n", reload.Stdout, StringComparison.Ordinal);
            load.WaitFor(30);
        }
        hold.AssertLogged("generation 3 (pid", "drained and exited", Patience);
        HttpResult[] results = load.Stop();

        HttpResult[] failed = results.Where(r => !r.Ok && !(resetsByTheServersStop && (r.Body.Length == 0 || r.Body.Contains("Connection reset by peer", StringComparison.Ordinal)))).ToArray();
        Assert.True(failed.Length == 0, $"{failed.Length} of {results.Length} failed, e.g. {failed.FirstOrDefault().Body}\n{hold.Output}");
        var pids = hold.PidsByGeneration();
        results = results.Where(r => r.Ok).ToArray();
        Assert.All(results, r => Assert.Equal(pids[Answers.Parse(r.Body).Generation], Answers.Parse(r.Body).Pid));
        Assert.Contains(results, r => Answers.Parse(r.Body).Generation == 4);
        Assert.True(results.Length >= 120, $"only {results.Length} requests were made");
    }
}
