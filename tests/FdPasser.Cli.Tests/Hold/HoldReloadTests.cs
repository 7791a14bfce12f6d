using System;
using System.Collections.Generic;
using System.Linq;
using FdPasser.Cli.Tests.Infrastructure;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>fdpass hold over the python3-systemd app under a load of 16 clients, each a new connection per request.</summary>
[Collection("fdpass hold")]
public sealed class HoldReloadTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static void AssertNoFailures(HttpResult[] results, HoldProcess hold)
    {
        HttpResult[] failed = results.Where(r => !r.Ok).ToArray();
        Assert.True(
            failed.Length == 0,
            $"{failed.Length} of {results.Length} requests failed, e.g. {string.Join(" | ", failed.Take(3).Select(f => f.Body))}\n{hold.Output}");
    }

    [Fact]
    public void Twenty_reloads_under_load_fail_no_request_and_the_stored_state_reaches_every_generation()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.Start();
        using HttpLoad load = HttpLoad.Start(hold.Port);
        load.WaitFor(50);

        for (int n = 2; n <= 21; n++)
        {
            if (n % 2 == 0)
            {
                hold.Signal("HUP");
            }
            else
            {
                RunResult reload = hold.Control("reload");
                Assert.Equal(0, reload.ExitCode);
                Assert.Contains($"starting generation {n} (reload: fdpass hold --reload from pid", reload.Stdout, StringComparison.Ordinal);
            }
            hold.AssertLogged($"generation {n} (pid", "is ready", Patience);
            load.WaitFor(16);
        }
        hold.AssertLogged("generation 20 (pid", "drained and exited (exit code 0)", Patience);
        load.WaitFor(50);
        HttpResult[] results = load.Stop();

        AssertNoFailures(results, hold);
        Assert.True(results.Length >= 500, $"only {results.Length} requests were made");
        // Each generation incremented the counter in the memfd the one before it stored: generation N answers "gen N".
        Dictionary<int, int> pids = hold.PidsByGeneration();
        var seen = new HashSet<int>();
        foreach (HttpResult r in results)
        {
            (int generation, int pid) = Answers.Parse(r.Body);
            Assert.Equal(pids[generation], pid);
            seen.Add(generation);
        }
        Assert.Contains(21, seen);
        Assert.True(seen.Count >= 15, $"answers came from only {seen.Count} of 21 generations");
        for (int n = 1; n <= 20; n++)
        {
            Assert.False(HoldProcess.IsRunning(pids[n]), $"generation {n} (pid {pids[n]}) is still running");
        }
        // Stored 21 times, kept once.
        string status = hold.Control("status").Stdout;
        Assert.Contains("stored 1 of at most 16", status, StringComparison.Ordinal);
        Assert.Contains($"generation 21 pid {pids[21]} ready", status, StringComparison.Ordinal);
        Assert.Equal(20, hold.Log.Count(l => l.Contains("is the file already stored as 'state': kept once", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_release_that_exits_at_start_and_one_never_ready_are_rolled_back_with_no_failed_request()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.Start(options: new[] { "--ready-timeout", "3" });
        int first = hold.PidOf(1);
        using HttpLoad load = HttpLoad.Start(hold.Port);
        load.WaitFor(50);

        System.IO.File.WriteAllText(hold.ReleaseFile, "exit");
        hold.Signal("HUP");
        hold.AssertLogged("generation 2 (pid", $"exited (exit code 3) before READY=1: rolled back; generation 1 (pid {first}) keeps serving", Patience);
        load.WaitFor(50);

        System.IO.File.WriteAllText(hold.ReleaseFile, "never-ready");
        Assert.Equal(0, hold.Control("reload").ExitCode);
        hold.AssertLogged("generation 3 (pid", $"was not ready within 3 s: killed (SIGKILL), rolled back; generation 1 (pid {first}) keeps serving", Patience);
        hold.AssertLogged("generation 3 (pid", "is gone (killed by SIGKILL)", Patience);
        load.WaitFor(50);
        Assert.Contains($"generation 1 pid {first} ready", hold.Control("status").Stdout, StringComparison.Ordinal);

        // The next good release takes over, with the state the serving generation stored.
        System.IO.File.WriteAllText(hold.ReleaseFile, "ok");
        hold.Signal("HUP");
        hold.AssertLogged("generation 4 (pid", "is ready", Patience);
        load.WaitFor(50);
        HttpResult[] results = load.Stop();

        AssertNoFailures(results, hold);
        int fourth = hold.PidOf(4);
        foreach (HttpResult r in results)
        {
            Assert.Contains(Answers.Parse(r.Body), new[] { (1, first), (2, fourth) });
        }
        Assert.Contains(results, r => Answers.Parse(r.Body) == (2, fourth));
    }

    [Fact]
    public async System.Threading.Tasks.Task After_kill_9_the_app_is_restarted_and_every_request_made_meanwhile_is_served()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.Start();
        int first = hold.PidOf(1);

        Assert.Equal(0, Exec.Run("kill", new[] { "-KILL", first.ToString(System.Globalization.CultureInfo.InvariantCulture) }).ExitCode);
        while (HoldProcess.IsRunning(first))
        {
            System.Threading.Thread.Sleep(1);
        }
        // Nothing serves now: these connections wait in the listener's backlog, which fdpass hold keeps open.
        var endpoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, hold.Port);
        HttpResult[] meanwhile = await System.Threading.Tasks.Task.WhenAll(Enumerable.Range(0, 48).Select(_ => HttpLoad.Once(endpoint)));

        hold.AssertLogged($"generation 1 (pid {first}) exited unasked", "killed by SIGKILL", Patience);
        hold.AssertLogged("no generation is serving or starting", "restarting in 0.1 s", Patience);
        int second = hold.PidOf(2);
        HttpResult[] failed = meanwhile.Where(r => !r.Ok).ToArray();
        Assert.True(failed.Length == 0, $"{failed.Length} of 48 failed, e.g. {failed.FirstOrDefault().Body}\n{hold.Output}");
        Assert.All(meanwhile, r => Assert.Equal((2, second), Answers.Parse(r.Body)));
        // They waited for the restart (backoff and start), not for a process that was still there.
        Assert.True(meanwhile.Max(r => r.Milliseconds) >= 100, $"the slowest request took {meanwhile.Max(r => r.Milliseconds)} ms");
    }
}
