using System;
using System.Globalization;
using System.IO;
using System.Threading;
using FdPasser.Cli.Tests.Infrastructure;
using FdPasser.TestSupport;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>
/// A stranger's notification whose sender exits, and whose number a generation's process takes, before hold reads
/// it (the test stops hold with SIGSTOP meanwhile; a loaded hold or a user cycling pids makes the same window). By
/// the SCM_CREDENTIALS number alone the datagram was the generation's: its FDSTORE=1 was stored. By the sender's
/// pidfd (SCM_PIDFD, Linux 6.5) the sender is known to be gone, and the notification is ignored.
/// </summary>
[Collection("fdpass hold")]
public sealed class HoldSenderPidReuseTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // Runs below the generation (a child of its launcher): once told a number, forks until a child gets it; that
    // child execs `sleep 600`, the impostor. Stays, so the impostor stays below the generation.
    private const string Reuser = """
        import os, sys, time
        d = sys.argv[1]
        deadline = time.time() + 120
        while not os.path.exists(os.path.join(d, "target")) and time.time() < deadline:
            time.sleep(0.02)
        x = int(open(os.path.join(d, "target")).read())
        got = -1
        for _ in range(5000):
            with open("/proc/sys/kernel/ns_last_pid", "w") as f:
                f.write(str(x - 1))
            pid = os.fork()
            if pid == 0:
                os.execv("/bin/sleep", ["sleep", "600"])
            if pid == x:
                got = pid
                break
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        with open(os.path.join(d, "reused.tmp"), "w") as f:
            f.write(str(got))
        os.rename(os.path.join(d, "reused.tmp"), os.path.join(d, "reused"))
        time.sleep(600)
        """;

    // A stranger (the test's child, not below hold): FDSTORE=1 with one descriptor, then it exits and is reaped.
    private const string Stranger = """
        import array, os, socket, sys
        fd = os.open("/dev/null", os.O_RDONLY)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.sendmsg([b"FDSTORE=1\nFDNAME=impostor"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))], 0, "\0" + sys.argv[1][1:])
        print(os.getpid(), flush=True)
        """;

    [Fact]
    public void A_notification_whose_sender_is_gone_and_whose_number_a_generations_process_took_is_not_the_generations()
    {
        HoldApp.SkipUnlessAvailable();
        // Where no SCM_PIDFD comes, hold knows a sender by its number alone (docs/hold.md), which this test shows is
        // not enough: there is nothing to test.
        Assert.SkipWhen(Emulation.Emulator is not null, $"{Emulation.Emulator} does not translate SO_PASSPIDFD, so hold gets no SCM_PIDFD under it and knows senders by number (natively the test runs)");
        Assert.SkipWhen(Environment.OSVersion.Version < new Version(6, 5), $"the kernel ({Environment.OSVersion.Version}) has no SO_PASSPIDFD: it came with Linux 6.5");
        Assert.SkipUnless(HoldPidReuseTests.CanSetLastPid(), "choosing the next pid needs root (CAP_SYS_ADMIN) to write /proc/sys/kernel/ns_last_pid");
        Assert.SkipUnless(Environment.OSVersion.Version >= new Version(6, 5), $"SCM_PIDFD came with Linux 6.5; this kernel is {Environment.OSVersion.Version}");
        string dir = Directory.CreateTempSubdirectory("fdp-hold-reuse-").FullName;
        string reuser = Path.Combine(dir, "reuser.py");
        File.WriteAllText(reuser, Reuser);
        string[] launcher = { "/bin/sh", "-c", $"'{HoldApp.Python}' '{reuser}' '{dir}' </dev/null >/dev/null 2>&1 & \"$@\"; exec sleep 60", "launcher" };
        int impostor = -1;
        try
        {
            using HoldProcess hold = HoldProcess.StartLaunched(launcher);
            string line = hold.AssertLogged("notifications at ", "@fdpass-hold/", Patience);
            string address = line.Substring(line.IndexOf("notifications at ", StringComparison.Ordinal) + "notifications at ".Length);

            hold.Signal("STOP");
            int stranger;
            try
            {
                RunResult sent = Exec.Run(HoldApp.Python, new[] { "-c", Stranger, address });
                Assert.True(sent.ExitCode == 0, sent.Stdout + sent.Stderr);
                stranger = int.Parse(sent.Stdout.Trim(), CultureInfo.InvariantCulture);
                File.WriteAllText(Path.Combine(dir, "target"), stranger.ToString(CultureInfo.InvariantCulture));
                string reused = Path.Combine(dir, "reused");
                DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
                while (!File.Exists(reused) && DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(20);
                }
                Assert.True(File.Exists(reused), "the reuser below the generation never reported");
                impostor = int.Parse(File.ReadAllText(reused), CultureInfo.InvariantCulture);
                Assert.True(impostor == stranger, $"pid {stranger} was not reused below the generation (a busy machine); got {impostor}");
            }
            finally
            {
                hold.Signal("CONT");
            }

            hold.AssertLogged($"ignored a notification from pid {stranger}", "exited before it was read", Patience);
            RunResult status = hold.Control("status");
            Assert.Equal(0, status.ExitCode);
            Assert.DoesNotContain("impostor", status.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain(hold.Log, l => l.Contains("impostor", StringComparison.Ordinal));
            Assert.Equal(0, hold.Stop("TERM"));
        }
        finally
        {
            if (impostor > 0)
            {
                Exec.Run("kill", new[] { "-KILL", impostor.ToString(CultureInfo.InvariantCulture) });
            }
            Directory.Delete(dir, recursive: true);
        }
    }
}
