using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using FdPasser.AspNetCore.Tests.Infrastructure;

namespace FdPasser.AspNetCore.Tests;

/// <summary>
/// The sample under fdpass hold, reloaded under 16 keep-alive clients (GET and POST, 0–50 ms apart): connections are
/// handed from generation to generation. A few reloads here; the 20-reload run with latency figures is bench/.
/// </summary>
public sealed partial class HoldTests
{
    [Fact]
    public async Task Keep_alive_connections_survive_reloads_with_no_failed_request_and_no_reconnect()
    {
        int port = Paths.FreePort();
        string control = Path.Combine(Directory.CreateTempSubdirectory("fdp-aspnet-").FullName, "control.sock");
        using var hold = new RunningProgram(Paths.Fdpass, "hold", "--listen", $"web=tcp:127.0.0.1:{port}", "--control", control, "--", "dotnet", Paths.Sample);
        var load = new KeepAliveLoad();
        try
        {
            hold.WaitFor("generation 1 (pid", Patience);
            hold.WaitFor("is ready", Patience);
            load.Start(port, 16, TimeSpan.FromMinutes(10));
            const int Last = 4;
            for (int n = 2; n <= Last; n++)
            {
                int before = load.Count;
                RunningProgram.Signal(hold.ProcessId, "HUP");
                WaitForLine(hold, $"generation {n} (pid ", "is ready");
                WaitForLine(hold, $"generation {n - 1} (pid ", "drained and exited (exit code 0)");
                while (load.Count < before + 100)
                {
                    await Task.Delay(10, TestContext.Current.CancellationToken);
                }
            }
            // A connection handed over last may still be on its way (its request waits through the old generation's
            // drain and the new one's first, cold, handover): every client gets an answer from the last generation
            // before the load stops, or the wait ends and the assertions below say which did not.
            bool AllServedByLast() => load.Answers.Where(a => a.Answer.Body.StartsWith($"gen {Last} ", StringComparison.Ordinal))
                .Select(a => a.Client).Distinct().Count() == 16;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.Elapsed < Patience && !AllServedByLast())
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
            await load.StopAsync();

            var answers = load.Answers;
            Assert.True(answers.All(a => a.Answer.Ok), $"{answers.Count(a => !a.Answer.Ok)} of {answers.Count} requests failed:\n{load.Failures()}\nfdpass hold's log:\n{hold.Output}");
            Assert.True(load.Reconnects <= 16, $"{load.Reconnects} reconnects for 16 clients\nfdpass hold's log:\n{hold.Output}");
            // Each client's connection was served by the last generation, most of them without a reconnect at all.
            foreach (int client in Enumerable.Range(0, 16))
            {
                string lastAnswer = answers.Last(a => a.Client == client).Answer.Body;
                Assert.StartsWith($"gen {Last} ", lastAnswer);
            }
            Assert.True(answers.Count(a => a.Answer.Connection == 1 && a.Answer.Body.StartsWith($"gen {Last} ", StringComparison.Ordinal)) > 0,
                "no client's first connection reached the last generation");
            int code = hold.Terminate(Patience);
            Assert.True(code == 0, $"fdpass hold exited with {code} after SIGTERM:\n{hold.Output}");
        }
        finally
        {
            await load.StopAsync();
            foreach (int pid in Generations(hold.Output).Values)
            {
                hold.KillOnDispose(pid);
            }
        }
    }
}
