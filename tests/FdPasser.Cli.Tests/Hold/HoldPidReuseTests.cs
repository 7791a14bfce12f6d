using System;
using System.Globalization;
using System.IO;
using System.Net;
using System.Threading.Tasks;
using FdPasser.Cli.Tests.Infrastructure;
using FdPasser.TestSupport;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>
/// A main pid that dies and whose number is at once given to another process (a user cycling pids can arrange it;
/// the test does, as root, through /proc/sys/kernel/ns_last_pid). fdpass hold holds the main pid by a pidfd, so it
/// sees the end, restarts the service, and never signals the process that took the number.
/// </summary>
[Collection("fdpass hold")]
public sealed class HoldPidReuseTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // The app runs as the shell's child and names itself with MAINPID=; once it ends, the shell stays (as sleep).
    private static readonly string[] Launcher = { "/bin/sh", "-c", "\"$@\"; exec sleep 60", "launcher" };

    // Kills the main pid, waits until its parent has reaped it, then forks until a child gets its number: that
    // child execs `sleep 600`, the impostor. Prints the impostor's pid.
    private const string Reuse = """
        import os, sys
        x = int(sys.argv[1])
        os.kill(x, 9)
        while os.path.exists(f"/proc/{x}"):
            pass
        for _ in range(2000):
            with open("/proc/sys/kernel/ns_last_pid", "w") as f:
                f.write(str(x - 1))
            pid = os.fork()
            if pid == 0:
                devnull = os.open("/dev/null", os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(devnull, fd)  # off the output pipe, which the test reads to its end
                os.execv("/bin/sleep", ["sleep", "600"])
            if pid == x:
                print(pid, flush=True)
                sys.exit(0)
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        print("the number was not reused", flush=True)
        sys.exit(1)
        """;

    internal static bool CanSetLastPid()
    {
        try
        {
            using var f = new FileStream("/proc/sys/kernel/ns_last_pid", FileMode.Open, FileAccess.Write);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    [Fact]
    public async Task When_the_main_pid_ends_and_its_number_is_reused_the_service_is_restarted_and_the_new_process_never_signalled()
    {
        HoldApp.SkipUnlessAvailable();
        Assert.SkipUnless(CanSetLastPid(), "choosing the next pid needs root (CAP_SYS_ADMIN) to write /proc/sys/kernel/ns_last_pid");
        using HoldProcess hold = HoldProcess.StartLaunched(Launcher);
        (_, int app) = Answers.Parse((await HttpLoad.Once(new IPEndPoint(IPAddress.Loopback, hold.Port))).Body);
        hold.AssertLogged($"generation 1 (pid {hold.PidOf(1)}", $"main pid is now {app}", Patience);

        RunResult reuse = Exec.Run(HoldApp.Python, new[] { "-c", Reuse, app.ToString(CultureInfo.InvariantCulture) });
        Assert.True(reuse.ExitCode == 0, reuse.Stdout + reuse.Stderr);
        int impostor = int.Parse(reuse.Stdout.Trim(), CultureInfo.InvariantCulture);
        try
        {
            Assert.Equal(app, impostor);
            hold.AssertLogged($"generation 1 (pid {hold.PidOf(1)}, main pid {app}): main pid {app} ended", "sent SIGTERM to its first process", Patience);
            hold.AssertLogged("generation 2 (pid", "is ready", Patience);

            Assert.Equal(0, hold.Stop("TERM"));
            Assert.True(HoldProcess.IsRunning(impostor), $"the process that took pid {impostor} was killed:\n{hold.Output}");
            Assert.Contains("sleep", File.ReadAllText($"/proc/{impostor}/cmdline"), StringComparison.Ordinal);
        }
        finally
        {
            Exec.Run("kill", new[] { "-KILL", impostor.ToString(CultureInfo.InvariantCulture) });
        }
    }
}
