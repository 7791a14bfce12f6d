using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using FdPasser.Cli.Tests.Infrastructure;
using FdPasser.TestSupport;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>Notifications fdpass hold must not act on, and the store's cap, with libsystemd as the sender.</summary>
[Collection("fdpass hold")]
public sealed class HoldNotifyTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static int DescriptorCount(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;

    [Fact]
    public void Notifications_from_a_process_that_is_no_generation_are_ignored_and_their_descriptors_closed()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.Start();
        string line = hold.AssertLogged("notifications at ", "@fdpass-hold/", Patience);
        string address = line.Substring(line.IndexOf("notifications at ", StringComparison.Ordinal) + "notifications at ".Length);
        int before = DescriptorCount(hold.ProcessId);

        const string Stranger = "import os, sys; from systemd import daemon; " +
            "fds = [os.open('/dev/null', os.O_RDONLY) for _ in range(5)]; " +
            "assert daemon.notify('FDSTORE=1\\nFDNAME=evil', fds=fds); assert daemon.notify('READY=1\\nMAINPID=1'); " +
            "print(os.getpid(), flush=True); sys.stdin.read()"; // it stays until the test has seen the log, so its lineage is read
        var start = new System.Diagnostics.ProcessStartInfo(HoldApp.Python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Stranger);
        start.Environment["NOTIFY_SOCKET"] = address;
        using var stranger = TestProcesses.Start(start);
        string pid = stranger.StandardOutput.ReadLine()?.Trim() ?? "";
        hold.AssertLogged($"ignored a notification from pid {pid}", "closed its 5 descriptor(s)", Patience);
        hold.AssertLogged($"ignored a notification from pid {pid}", "which is no generation's and not below one", Patience);
        stranger.StandardInput.Close();
        stranger.WaitForExit();
        Assert.True(stranger.ExitCode == 0, stranger.StandardError.ReadToEnd());
        string status = hold.Control("status").Stdout;
        Assert.Contains("stored 1 of at most 16", status, StringComparison.Ordinal);
        Assert.DoesNotContain("evil", status, StringComparison.Ordinal);
        Assert.Contains($"generation 1 pid {hold.PidOf(1)} ready", status, StringComparison.Ordinal);
        Assert.True(DescriptorCount(hold.ProcessId) <= before + 1, $"fdpass hold holds {DescriptorCount(hold.ProcessId)} descriptors, {before} before");
    }

    [Fact]
    public async Task With_the_store_full_a_stored_descriptor_is_refused_and_the_service_still_serves()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.Start(options: new[] { "--fd-store-max", "0" });
        hold.AssertLogged("generation 1 (pid", "not stored 'state': the store holds its maximum of 0 (--fd-store-max)", Patience);

        hold.Signal("HUP");
        hold.AssertLogged("generation 2 (pid", "is ready", Patience);
        hold.AssertLogged("generation 1 (pid", "drained and exited", Patience);
        HttpResult answer = await HttpLoad.Once(new IPEndPoint(IPAddress.Loopback, hold.Port));

        // Nothing was stored, so the second generation started its counter afresh.
        Assert.Equal((1, hold.PidOf(2)), Answers.Parse(answer.Body));
        Assert.Contains("stored 0 of at most 0", hold.Control("status").Stdout, StringComparison.Ordinal);
        Assert.Equal(0, hold.Stop("TERM"));
    }

    [Fact]
    public void A_barrier_is_answered_by_closing_its_descriptor_after_every_earlier_notification_and_nothing_sent_with_it_is_acted_on()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.Start();
        File.WriteAllText(hold.ReleaseFile, "barrier");
        hold.Signal("HUP");
        hold.AssertLogged("generation 2 (pid", "is ready", Patience);

        // libsystemd's sd_notify_barrier did not time out: fdpass hold closed the descriptor it sent.
        string app = $"hold_app {hold.PidOf(2)}: ";
        DateTime deadline = DateTime.UtcNow + Patience;
        while (!hold.Output.Contains(app, StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            System.Threading.Thread.Sleep(50);
        }
        Assert.True(hold.Output.Contains(app + "sd_notify_barrier succeeded; the barrier with a status was closed", StringComparison.Ordinal), hold.Output);
        hold.AssertLogged($"pid {hold.PidOf(2)} sent BARRIER=1 with 1 other field(s)", "ignored, as systemd does", Patience);
        Assert.Contains($"generation 2 pid {hold.PidOf(2)} ready", hold.Control("status").Stdout, StringComparison.Ordinal);
        Assert.Contains("status \"before the barrier\"", hold.Control("status").Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(hold.Log, l => l.Contains("without FDSTORE=1", StringComparison.Ordinal));
        Assert.Equal(0, hold.Stop("TERM"));
    }
}
