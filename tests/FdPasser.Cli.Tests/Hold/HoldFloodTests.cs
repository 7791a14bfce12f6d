using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using FdPasser.Cli.Tests.Infrastructure;
using FdPasser.TestSupport;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>
/// A local user against fdpass hold: a flood of descriptors at its notification socket (whose name /proc/net/unix
/// shows to everyone), and an output nobody reads. Neither may cost it descriptors or stop it answering.
/// </summary>
[Collection("fdpass hold")]
public sealed class HoldFloodTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static int DescriptorCount(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;

    // Sends FDSTORE=1 with 253 descriptors per datagram, as fast as hold takes them, up to COUNT datagrams or 15 s.
    private const string Flooder = """
        import array, os, socket, sys, time
        address, count = "\0" + sys.argv[1][1:], int(sys.argv[2])
        fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(253)]
        rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))]
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.settimeout(1)
        sent, deadline = 0, time.time() + 15
        while sent < count and time.time() < deadline:
            try:
                s.sendmsg([b"FDSTORE=1\nFDNAME=flood"], rights, 0, address)
                sent += 1
            except socket.timeout:
                pass
        print(sent, flush=True)
        """;

    [Fact]
    public void A_flood_of_descriptors_from_a_stranger_costs_hold_no_descriptors_and_it_keeps_answering_and_reloading()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.Start();
        string line = hold.AssertLogged("notifications at ", "@fdpass-hold/", Patience);
        string address = line.Substring(line.IndexOf("notifications at ", StringComparison.Ordinal) + "notifications at ".Length);
        int before = DescriptorCount(hold.ProcessId);

        var start = new ProcessStartInfo(HoldApp.Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "-c", Flooder, address, "2000" })
        {
            start.ArgumentList.Add(arg);
        }
        using Process flooder = TestProcesses.Start(start);
        int most = before, reloads = 0;
        while (!flooder.HasExited)
        {
            most = Math.Max(most, DescriptorCount(hold.ProcessId));
            RunResult status = hold.Control("status");
            Assert.True(status.ExitCode == 0, $"--status failed during the flood: {status}\n{hold.Output}");
            if (reloads < 2)
            {
                reloads++;
                Assert.Equal(0, hold.Control("reload").ExitCode);
                hold.AssertLogged($"generation {reloads + 1} (pid", "is ready", Patience);
            }
            Thread.Sleep(20);
        }
        flooder.WaitForExit();
        int sent = int.Parse(flooder.StandardOutput.ReadToEnd().Trim(), CultureInfo.InvariantCulture);
        Assert.True(sent >= 100, $"the flooder sent only {sent} datagrams: {flooder.StandardError.ReadToEnd()}");

        // One datagram's 253 at most, beside what the reloads and --status use for a moment.
        Assert.True(most <= before + 253 + 32, $"fdpass hold held {most} descriptors during the flood, {before} before ({sent} datagrams of 253)");
        Assert.True(DescriptorCount(hold.ProcessId) <= before + 8, $"fdpass hold holds {DescriptorCount(hold.ProcessId)} descriptors after the flood, {before} before");
        Assert.Contains("stored 1 of at most 16", hold.Control("status").Stdout, StringComparison.Ordinal);
        // A burst is a few lines and a count, not a line per datagram.
        int lines = hold.Log.Count(l => l.Contains("ignored a notification from pid", StringComparison.Ordinal));
        Assert.True(lines <= 3 * 3, $"{lines} lines for {sent} ignored notifications:\n{hold.Output}");
        hold.AssertLogged("more notification(s) from uid 0 in 10 s", "ignored ", Patience);
        Assert.Equal(0, hold.Stop("TERM"));
    }

    // Gives fdpass hold a standard output that is a 4 KiB pipe which it holds open itself and nobody reads.
    private const string UnreadOutput = """
        import fcntl, os, sys
        r, w = os.pipe()
        fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 4096)
        os.dup2(w, 1)
        os.set_inheritable(r, True)
        os.execv(sys.argv[1], sys.argv[1:])
        """;

    [Fact]
    public void With_its_output_never_read_hold_still_reloads_answers_status_and_stops_on_SIGTERM()
    {
        HoldApp.SkipUnlessAvailable();
        string dir = Directory.CreateTempSubdirectory("fdp-hold-blocked-").FullName;
        string control = Path.Combine(dir, "control.sock");
        string app = Path.Combine(dir, "hold_app.py");
        File.Copy(HoldApp.Script, app);
        var start = new ProcessStartInfo(HoldApp.Python) { RedirectStandardError = true, RedirectStandardOutput = false };
        foreach (string arg in new[] { "-c", UnreadOutput, Fdpass.Binary, "hold", "--listen", "web=tcp:127.0.0.1:0", "--control", control, "--settle-time", "0", "--", HoldApp.Python, app })
        {
            start.ArgumentList.Add(arg);
        }
        using Process hold = TestProcesses.Start(start);
        string stderr = "";
        hold.ErrorDataReceived += (_, e) => stderr += e.Data + "\n";
        hold.BeginErrorReadLine();
        try
        {
            WaitForStatus(control, "generation 1 pid", hold);
            // Each reload logs several lines: ten of them fill the 4 KiB pipe many times over.
            for (int n = 2; n <= 11; n++)
            {
                RunResult reload = Exec.Run(Fdpass.Binary, new[] { "hold", "--reload", "--control", control }, timeoutSeconds: 30);
                Assert.True(reload.ExitCode == 0, $"reload {n}: {reload}\n{stderr}");
                WaitForStatus(control, $"generation {n} pid", hold);
            }

            Assert.Equal(0, Exec.Run("kill", new[] { "-TERM", hold.Id.ToString(CultureInfo.InvariantCulture) }).ExitCode);
            Assert.True(hold.WaitForExit(TimeSpan.FromSeconds(30)), $"fdpass hold did not stop on SIGTERM with its output unread\n{stderr}");
            Assert.Equal(0, hold.ExitCode);
        }
        finally
        {
            if (!hold.HasExited)
            {
                hold.Kill(entireProcessTree: true);
            }
            KillAppsOf(dir);
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void WaitForStatus(string control, string text, Process hold)
    {
        DateTime deadline = DateTime.UtcNow + Patience;
        RunResult status;
        do
        {
            Assert.False(hold.HasExited, "fdpass hold exited");
            status = Exec.Run(Fdpass.Binary, new[] { "hold", "--status", "--control", control }, timeoutSeconds: 30);
            if (status.ExitCode == 0 && Regex.IsMatch(status.Stdout, Regex.Escape(text) + @" \d+ .*ready"))
            {
                return;
            }
            Thread.Sleep(100);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"--status never showed \"{text} … ready\": {status}");
    }

    /// <summary>The app processes started from this test's directory, which a stuck hold would leave behind.</summary>
    private static void KillAppsOf(string dir)
    {
        foreach (string proc in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(proc, "cmdline")).Contains(dir, StringComparison.Ordinal) &&
                    int.TryParse(Path.GetFileName(proc), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
                {
                    Exec.Run("kill", new[] { "-KILL", pid.ToString(CultureInfo.InvariantCulture) });
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }
}
