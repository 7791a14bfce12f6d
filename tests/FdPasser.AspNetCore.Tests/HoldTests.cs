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
        try
        {
            hold.WaitFor("generation 1 (pid", Patience);
            hold.WaitFor("is ready", Patience);
            var answers = new ConcurrentQueue<Answer>();
            using var stop = new CancellationTokenSource();
            Task load = Http.Load(port, 16, answers, stop.Token);

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
            stop.Cancel();
            await load;

            Answer[] all = answers.ToArray();
            Answer[] failed = all.Where(a => !a.Ok).ToArray();
            Assert.True(failed.Length == 0, $"{failed.Length} of {all.Length} requests failed, e.g. {string.Join(" | ", failed.Take(3).Select(f => f.Body))}\n{hold.Output}");
            Dictionary<int, int> pids = Generations(hold.Output);
            var seen = new HashSet<int>();
            foreach (Answer a in all)
            {
                (int generation, int pid) = Http.Parse(a.Body);
                Assert.Equal(pids[generation], pid); // generation N of fdpass hold counted N through the stored file
                seen.Add(generation);
            }
            Assert.Contains(Last, seen);
            Assert.True(seen.Count >= 15, $"answers came from only {seen.Count} of {Last} generations");
            Assert.Equal(0, hold.Terminate(Patience));
        }
        finally
        {
            foreach (int pid in Generations(hold.Output).Values)
            {
                hold.KillOnDispose(pid);
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
}
