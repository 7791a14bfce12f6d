using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using FdPasser.Cli.Tests.Infrastructure;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>
/// fdpass hold run as a service itself: socket-activated by systemd-socket-activate (the outer manager; no systemd
/// manager is started), taking its listener by name, and telling the test's NOTIFY_SOCKET how it is doing.
/// </summary>
[Collection("fdpass hold")]
public sealed class HoldUnderSystemdTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static bool Has(IReadOnlyDictionary<string, string> fields, string key, string value) =>
        fields.TryGetValue(key, out string? v) && v == value;

    [Fact]
    public async Task Socket_activated_hold_serves_on_the_inherited_listener_and_tells_its_manager_ready_reloading_status_and_stopping()
    {
        HoldApp.SkipUnlessAvailable();
        HoldProcess.SkipUnlessActivatorAvailable();
        using var manager = new ManagerSide();
        int port = HoldProcess.FreePort();
        using HoldProcess hold = HoldProcess.StartActivated(port, manager.Address);
        int holdPid = hold.ProcessId; // the activator exec'd fdpass hold in its own process
        hold.AssertLogged("listening on web=inherited tcp:127.0.0.1:", port.ToString(CultureInfo.InvariantCulture), Patience);
        int gen1 = hold.PidOf(1);

        IReadOnlyDictionary<string, string> ready = manager.WaitFor((pid, f) => Has(f, "READY", "1"), Patience, "with READY=1");
        Assert.Equal(holdPid, manager.With("READY").Single().Pid);
        Assert.Contains($"generation 1 (pid {gen1}) serving", ready["STATUS"], StringComparison.Ordinal);
        Assert.False(ready.ContainsKey("MAINPID"), "fdpass hold is the process its manager started: no MAINPID= is needed\n" + manager.Transcript);
        // The generation gets fdpass hold's own notification socket, never its manager's.
        string environ = File.ReadAllText($"/proc/{gen1}/environ");
        Assert.Contains("NOTIFY_SOCKET=@fdpass-hold/", environ, StringComparison.Ordinal);
        Assert.DoesNotContain(manager.Address, environ, StringComparison.Ordinal);

        Assert.Equal((1, gen1), Answers.Parse((await HttpLoad.Once(new IPEndPoint(IPAddress.Loopback, port))).Body));

        hold.Signal("HUP"); // what systemd's Type=notify-reload sends
        IReadOnlyDictionary<string, string> reloading = manager.WaitFor((pid, f) => Has(f, "RELOADING", "1"), Patience, "with RELOADING=1");
        Assert.True(ulong.TryParse(reloading["MONOTONIC_USEC"], NumberStyles.None, CultureInfo.InvariantCulture, out ulong usec) && usec > 0, manager.Transcript);
        IReadOnlyDictionary<string, string> reloaded = manager.WaitFor((pid, f) => Has(f, "READY", "1"), Patience, "with READY=1 after the reload");
        int gen2 = hold.PidOf(2);
        Assert.Contains($"generation 2 (pid {gen2}) serving", reloaded["STATUS"], StringComparison.Ordinal);
        manager.WaitFor((pid, f) => f.TryGetValue("STATUS", out string? s) && s.StartsWith($"generation 2 (pid {gen2}) serving", StringComparison.Ordinal),
            Patience, "with STATUS= once generation 1 has drained");
        Assert.Equal((2, gen2), Answers.Parse((await HttpLoad.Once(new IPEndPoint(IPAddress.Loopback, port))).Body));

        Assert.Equal(0, hold.Stop("TERM"));
        manager.WaitFor((pid, f) => Has(f, "STOPPING", "1"), Patience, "with STOPPING=1");
        Assert.All(manager.With("STATUS"), n => Assert.Equal(holdPid, n.Pid));
    }

    [Fact]
    public void Under_a_wrapper_that_shares_its_NOTIFY_SOCKET_hold_names_itself_with_MAINPID()
    {
        HoldApp.SkipUnlessAvailable();
        using var manager = new ManagerSide();
        // A shell that does not exec (a command follows): the manager would take the shell for the main process.
        using HoldProcess hold = HoldProcess.StartWrappedWithNotify(manager.Address, new[] { "/bin/sh", "-c", "\"$@\"; exit $?", "sh" });
        IReadOnlyDictionary<string, string> ready = manager.WaitFor((pid, f) => Has(f, "READY", "1"), Patience, "with READY=1");
        int sender = manager.With("READY").Single().Pid;
        Assert.NotEqual(hold.ProcessId, sender);
        Assert.Equal(sender.ToString(CultureInfo.InvariantCulture), ready["MAINPID"]);
        hold.AssertLogged($"told the service manager MAINPID={sender}", "wrapper", Patience);
        Exec.Run("kill", new[] { "-TERM", sender.ToString(CultureInfo.InvariantCulture) });
        manager.WaitFor((pid, f) => Has(f, "STOPPING", "1"), Patience, "with STOPPING=1");
    }

    [Fact]
    public void An_inherited_spec_names_a_listener_to_take_and_binds_nothing()
    {
        FdPasser.Cli.Hold.ListenerSpec spec = FdPasser.Cli.Hold.ListenerSpec.Parse("web=inherited");

        Assert.Equal((FdPasser.Cli.Hold.ListenerKind.Inherited, "web", "web=inherited"), (spec.Kind, spec.Name, spec.ToString()));
        Assert.Null(spec.Address);
    }

    [Theory]
    [InlineData("--upgrade", "--reload")]
    [InlineData("--upgrade", "--listen", "web=inherited")]
    [InlineData("--upgrade", "a", "b")]
    public void Upgrade_takes_only_the_control_socket_and_a_program(params string[] args)
    {
        RunResult r = Fdpass.Run(new[] { "hold" }.Concat(args).ToArray());

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--upgrade takes only --control and the new program's PATH (last)", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_inherited_listener_that_was_not_passed_is_an_error_naming_the_variable()
    {
        RunResult bare = Fdpass.Run("hold", "--listen", "web=inherited", "--control", Path.Combine(Path.GetTempPath(), $"fdp-h8-{Guid.NewGuid():N}.sock"), "--", "true");
        Assert.NotEqual(0, bare.ExitCode);
        Assert.Contains("cannot take --listen web=inherited: fdpass hold was started without LISTEN_PID and LISTEN_FDS", bare.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_passed_descriptor_under_another_name_is_an_error_naming_LISTEN_FDNAMES()
    {
        HoldProcess.SkipUnlessActivatorAvailable();
        int port = HoldProcess.FreePort();
        // --fdname=api: the activator passes one listener named api, fdpass hold is asked for web.
        var start = new System.Diagnostics.ProcessStartInfo(HoldProcess.Activator) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[] { "-l", $"127.0.0.1:{port}", "--fdname=api", Fdpass.Binary, "hold", "--listen", "web=inherited",
                     "--control", Path.Combine(Path.GetTempPath(), $"fdp-h8-{Guid.NewGuid():N}.sock"), "--", "true" })
        {
            start.ArgumentList.Add(a);
        }
        using var activator = FdPasser.TestSupport.TestProcesses.Start(start);
        Task<string> stderr = activator.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        Task<HttpResult> poke = Task.Run(async () =>
        {
            for (int i = 0; i < 100; i++)
            {
                HttpResult r = await HttpLoad.Once(new IPEndPoint(IPAddress.Loopback, port));
                if (activator.HasExited || r.Ok)
                {
                    return r;
                }
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
            return default;
        }, TestContext.Current.CancellationToken);
        Assert.True(activator.WaitForExit(Patience), "fdpass hold did not exit");
        Assert.NotEqual(0, activator.ExitCode);
        Assert.Contains("no descriptor is named 'web' in LISTEN_FDNAMES=api (LISTEN_FDS=1)", await stderr, StringComparison.Ordinal);
        await poke;
    }
}
