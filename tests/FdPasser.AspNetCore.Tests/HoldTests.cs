using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.AspNetCore.Tests.Infrastructure;

namespace FdPasser.AspNetCore.Tests;

/// <summary>The sample under fdpass hold, reloaded under a load of 16 clients making a new connection per request.</summary>
[Collection("processes")]
public sealed partial class HoldTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Twenty_reloads_under_load_fail_no_request_and_every_generation_counts_from_the_stored_one()
    {
        int port = Paths.FreePort();
        string control = Path.Combine(Directory.CreateTempSubdirectory("fdp-aspnet-").FullName, "control.sock");
        using var hold = new RunningProgram(Paths.Fdpass, "hold", "--listen", $"web=tcp:127.0.0.1:{port}", "--control", control, "--", "dotnet", Paths.Sample);
        using var stop = new CancellationTokenSource();
        try
        {
            hold.WaitFor("generation 1 (pid", Patience);
            hold.WaitFor("is ready", Patience);
            var answers = new ConcurrentQueue<Answer>();
            // The bound only keeps a failed test's load from running on; it once was two minutes, which 20 reloads
            // on a busy machine can take (the load then stopped before the last generation served).
            Task load = Http.Load(port, 16, answers, TimeSpan.FromMinutes(15), stop.Token);

            const int Last = 21;
            for (int n = 2; n <= Last; n++)
            {
                int before = answers.Count;
                RunningProgram.Signal(hold.ProcessId, "HUP");
                WaitForLine(hold, $"generation {n} (pid ", "is ready");
                while (answers.Count < before + 16 && !load.IsCompleted)
                {
                    await Task.Delay(10, TestContext.Current.CancellationToken);
                }
            }
            WaitForLine(hold, $"generation {Last - 1} (pid ", "drained and exited (exit code 0)");
            await Task.Delay(500, TestContext.Current.CancellationToken);
            Assert.False(load.IsCompleted, $"the load stopped before the test stopped it (its bound, or a fault: {load.Exception?.Message})");
            stop.Cancel();
            await load;

            Answer[] all = answers.ToArray();
            Answer[] failed = all.Where(a => !a.Ok).ToArray();
            Assert.True(failed.Length == 0, $"{failed.Length} of {all.Length} requests failed (time asked, error):\n" +
                $"{string.Join("\n", failed.Take(10))}\nfdpass hold's log:\n{hold.Output}");
            Dictionary<int, int> pids = Generations(hold.Output);
            var seen = new HashSet<int>();
            foreach (Answer a in all)
            {
                (int generation, int pid) = Http.Parse(a.Body);
                // Generation N of fdpass hold counted N through the stored file.
                Assert.True(pids.TryGetValue(generation, out int expected) && expected == pid,
                    $"the answer {a} counts generation {generation}, but fdpass hold started generation {generation} as " +
                    $"{(pids.ContainsKey(generation) ? $"pid {pids[generation]}" : "no process")}:\n{hold.Output}");
                seen.Add(generation);
            }
            Assert.True(seen.Contains(Last) && seen.Count >= 15,
                $"answers came from generations {string.Join(", ", seen.Order())}: expected {Last} among them and at least 15\n{hold.Output}");
            int code = hold.Terminate(Patience);
            Assert.True(code == 0, $"fdpass hold exited with {code} after SIGTERM:\n{hold.Output}");
        }
        finally
        {
            stop.Cancel(); // a failed assertion leaves no load running
            foreach (int pid in Generations(hold.Output).Values)
            {
                hold.KillOnDispose(pid);
            }
        }
    }

    [Fact]
    public async Task Under_dotnet_run_the_app_below_it_is_the_main_pid_and_a_reload_counts_the_generation_up()
    {
        int port = Paths.FreePort();
        string control = Path.Combine(Directory.CreateTempSubdirectory("fdp-aspnet-").FullName, "control.sock");
        // As the sample's README runs it, without the build step (the tests' build made the sample).
        using var hold = new RunningProgram(Paths.Fdpass, "hold", "--listen", $"web=tcp:127.0.0.1:{port}", "--control", control,
            "--ready-timeout", "120", "--", "dotnet", "run", "--no-build", "-c", Paths.SampleConfiguration, "--project", Paths.SampleProject);
        try
        {
            WaitForLine(hold, "generation 1 (pid ", "is ready");
            Answer first = await Http.GetAsync(port);
            Assert.True(first.Ok, $"{first}\n{hold.Output}");
            (int generation, int app1) = Http.Parse(first.Body);
            int run1 = Generations(hold.Output)[1];
            Assert.Equal(1, generation);
            Assert.NotEqual(run1, app1); // dotnet run started the app as its child
            WaitForLine(hold, $"generation 1 (pid {run1}", $"main pid is now {app1}");

            RunningProgram.Signal(hold.ProcessId, "HUP");
            WaitForLine(hold, "generation 2 (pid ", "is ready");
            // SIGTERM went to the app alone; it drained and exited 0, and so did dotnet run.
            WaitForLine(hold, $"generation 1 (pid {run1}", "drained and exited (exit code 0)");
            Answer second = await Http.GetAsync(port);
            Assert.True(second.Ok, $"{second}\n{hold.Output}");
            (generation, int app2) = Http.Parse(second.Body);
            Assert.Equal(2, generation);
            WaitForLine(hold, $"generation 2 (pid {Generations(hold.Output)[2]}", $"main pid is now {app2}");
            Assert.DoesNotContain("ignored a notification", hold.Output, StringComparison.Ordinal);

            int code = hold.Terminate(Patience);
            Assert.True(code == 0, $"fdpass hold exited with {code} after SIGTERM:\n{hold.Output}");
            Assert.False(Directory.Exists($"/proc/{app2}"), $"the app of generation 2 (pid {app2}) is still running:\n{hold.Output}");
        }
        finally
        {
            foreach (int pid in Generations(hold.Output).Values)
            {
                hold.KillOnDispose(pid);
            }
            foreach (Match m in MainPid().Matches(hold.Output))
            {
                hold.KillOnDispose(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            }
        }
    }

    private static void WaitForLine(RunningProgram hold, string text, string alsoText)
    {
        DateTime deadline = DateTime.UtcNow + Patience;
        while (!hold.Output.Split('\n').Any(l => l.Contains(text, StringComparison.Ordinal) && l.Contains(alsoText, StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no line with \"{text}\" and \"{alsoText}\":\n{hold.Output}");
            Thread.Sleep(20);
        }
    }

    private static Dictionary<int, int> Generations(string log) =>
        Started().Matches(log).ToDictionary(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m => int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"generation (\d+) \(pid (\d+)\) started")]
    private static partial Regex Started();

    [GeneratedRegex(@"main pid is now (\d+)")]
    private static partial Regex MainPid();
}
