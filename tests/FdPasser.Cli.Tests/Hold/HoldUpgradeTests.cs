using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using FdPasser.Cli.Tests.Infrastructure;

namespace FdPasser.Cli.Tests.Hold;

/// <summary><c>fdpass hold --upgrade</c>: the program replaced in fdpass hold's own process, with nothing dropped.</summary>
[Collection("fdpass hold")]
public sealed class HoldUpgradeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static bool Has(IReadOnlyDictionary<string, string> fields, string key, string value) =>
        fields.TryGetValue(key, out string? v) && v == value;

    private static string[] DescriptorTargets(int pid) =>
        Directory.GetFiles($"/proc/{pid}/fd").Select(f =>
        {
            try
            {
                return new FileInfo(f).LinkTarget ?? "";
            }
            catch (IOException)
            {
                return "";
            }
        }).ToArray();

    [Fact]
    public async Task An_upgrade_under_load_fails_no_request_and_keeps_the_listener_the_store_the_generation_and_the_manager()
    {
        HoldApp.SkipUnlessAvailable();
        using var manager = new ManagerSide();
        // env execs fdpass hold, so its manager started it directly and the pid the test watches is fdpass hold's.
        using HoldProcess hold = HoldProcess.StartWrappedWithNotify(manager.Address, Array.Empty<string>());
        manager.WaitFor((pid, f) => Has(f, "READY", "1"), Patience, "with READY=1");
        int gen1 = hold.PidOf(1);
        using HttpLoad load = HttpLoad.Start(hold.Port, clients: 8);
        load.WaitFor(50);

        RunResult upgrade = hold.Control("upgrade");

        Assert.True(upgrade.ExitCode == 0, upgrade.Stderr + "\n" + hold.Output);
        Assert.Contains("took everything over", upgrade.Stdout, StringComparison.Ordinal);
        Assert.Contains($"fdpass hold: pid {hold.ProcessId}", upgrade.Stdout, StringComparison.Ordinal);
        Assert.Contains($"generation 1 pid {gen1} ready", upgrade.Stdout, StringComparison.Ordinal);
        Assert.Contains("stored state device", upgrade.Stdout, StringComparison.Ordinal);
        hold.AssertLogged($"took over pid {hold.ProcessId} with 1 listener(s), 1 stored descriptor(s) and 1 generation(s)", $"generation 1 (pid {gen1})", Patience);
        Assert.DoesNotContain(DescriptorTargets(hold.ProcessId), t => t.Contains("fdpass-hold-state", StringComparison.Ordinal));
        load.WaitFor(50);

        // The program that took over reloads: the stored memfd's counter goes on (2), and generation 1, a child of
        // the program before, is reaped with its exit code.
        hold.Signal("HUP");
        hold.AssertLogged("generation 2 (pid", "is ready", Patience);
        hold.AssertLogged($"generation 1 (pid {gen1}) drained and exited", "exit code 0", Patience);
        HttpResult[] results = load.Stop();
        HttpResult last = await HttpLoad.Once(new IPEndPoint(IPAddress.Loopback, hold.Port));
        Assert.Equal((2, hold.PidOf(2)), Answers.Parse(last.Body));
        Assert.True(results.Length > 100, $"only {results.Length} requests were made:\n{hold.Output}");
        Assert.True(results.All(r => r.Ok), $"{results.Count(r => !r.Ok)} of {results.Length} requests failed:\n{hold.Output}");

        // Its manager hears from the same pid after the upgrade: NOTIFY_SOCKET was handed over too.
        manager.WaitFor((pid, f) => Has(f, "RELOADING", "1"), Patience, "with RELOADING=1 after the upgrade");
        manager.WaitFor((pid, f) => Has(f, "READY", "1"), Patience, "with READY=1 after the upgrade's reload");
        Assert.All(manager.With("STATUS"), n => Assert.Equal(hold.ProcessId, n.Pid));
        int code = hold.Stop("TERM");
        Assert.True(code == 0, $"fdpass hold exited {code} at SIGTERM:\n{hold.Output}");
    }

    [Fact]
    public void An_upgrade_to_a_program_that_cannot_be_executed_leaves_hold_serving_as_it_was()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.Start();
        string notExecutable = Path.Combine(hold.Directory, "not-a-program");
        File.WriteAllText(notExecutable, "just text\n");
        File.SetUnixFileMode(notExecutable, (UnixFileMode)0b110_100_100);

        RunResult upgrade = Fdpass.Run("hold", "--upgrade", "--control", hold.ControlPath, notExecutable);

        Assert.NotEqual(0, upgrade.ExitCode);
        Assert.Contains($"upgrade failed: execve({notExecutable}) failed: EACCES", upgrade.Stderr, StringComparison.Ordinal);
        Assert.Contains("goes on as it was", upgrade.Stderr, StringComparison.Ordinal);
        // Still whole: it answers, reloads (so notifications are received again) and the store is kept.
        hold.Signal("HUP");
        hold.AssertLogged("generation 2 (pid", "is ready", Patience);
        string status = hold.Control("status").Stdout;
        Assert.Contains($"generation 2 pid {hold.PidOf(2)} ready", status, StringComparison.Ordinal);
        Assert.Contains("stored 1 of at most 16", status, StringComparison.Ordinal);
        Assert.Equal(0, hold.Stop("TERM"));
    }

    [Fact]
    public void An_upgrade_while_a_generation_is_starting_is_refused_saying_why()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.Start("tcp:127.0.0.1:0", "--ready-timeout", "0");
        File.WriteAllText(hold.ReleaseFile, "never-ready");
        hold.Signal("HUP");
        hold.AssertLogged("generation 2 (pid", "waiting for READY=1", Patience);

        RunResult upgrade = hold.Control("upgrade");

        Assert.NotEqual(0, upgrade.ExitCode);
        Assert.Contains($"upgrade refused: generation 2 (pid {hold.PidOf(2)}) is still starting", upgrade.Stderr, StringComparison.Ordinal);
        Assert.Contains($"generation 1 pid {hold.PidOf(1)} ready", hold.Control("status").Stdout, StringComparison.Ordinal);
    }
}
