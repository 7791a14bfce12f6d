using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using FdPasser.Cli.Tests.Infrastructure;

namespace FdPasser.Cli.Tests.Hold;

[Collection("fdpass hold")]
public sealed class HoldStopTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>The pids of running processes whose command line mentions <paramref name="text"/>.</summary>
    private static int[] ProcessesMentioning(string text) =>
        Directory.GetDirectories("/proc")
            .Select(d => Path.GetFileName(d))
            .Where(n => int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .Where(n =>
            {
                try
                {
                    return File.ReadAllText($"/proc/{n}/cmdline").Contains(text, StringComparison.Ordinal) && HoldProcess.IsRunning(int.Parse(n, CultureInfo.InvariantCulture));
                }
                catch (IOException)
                {
                    return false; // ended while being looked at
                }
            })
            .Select(n => int.Parse(n, CultureInfo.InvariantCulture))
            .ToArray();

    [Fact]
    public void Started_with_SIGHUP_ignored_as_under_nohup_it_still_reloads_on_SIGHUP_and_says_so()
    {
        HoldApp.SkipUnlessAvailable();
        // nohup sets SIGHUP to ignored and execs fdpass, which inherits that; the .NET runtime keeps an inherited
        // SIG_IGN rather than install a handler over it.
        using HoldProcess hold = HoldProcess.StartWrapped(new[] { "nohup" });
        hold.Signal("HUP");
        hold.AssertLogged("generation 2 (pid", "is ready", Patience);
        Assert.Contains(hold.Log, l => l.Contains("starting generation 2 (reload: SIGHUP", StringComparison.Ordinal));
        Assert.Contains(hold.Log, l => l.Contains("SIGHUP was ignored when fdpass hold started", StringComparison.Ordinal));
        Assert.Equal(0, hold.Stop("TERM"));
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public void A_stop_signal_stops_every_generation_removes_the_socket_files_and_exits_0(string signal)
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.Start("tcp:127.0.0.1:0", "--listen", "side=unix:{dir}/side.sock", "--stop-timeout", "5");
        string side = Path.Combine(hold.Directory, "side.sock");
        Assert.True(File.Exists(side));
        Assert.True(File.Exists(hold.ControlPath));
        hold.Signal("HUP");
        hold.AssertLogged("generation 2 (pid", "is ready", Patience);
        Assert.NotEmpty(ProcessesMentioning(hold.Directory));

        Assert.Equal(0, hold.Stop(signal));

        Assert.Empty(ProcessesMentioning(hold.Directory));
        Assert.All(hold.PidsByGeneration().Values, pid => Assert.False(HoldProcess.IsRunning(pid)));
        Assert.False(File.Exists(side), "the listener's socket file is still there");
        Assert.False(File.Exists(hold.ControlPath), "the control socket is still there");
        Assert.Contains(hold.Log, l => l.EndsWith($"removed {side}", StringComparison.Ordinal));
        Assert.Contains(hold.Log, l => l.Contains($"SIG{signal}: stopping", StringComparison.Ordinal));
        Assert.Contains(hold.Log, l => l.EndsWith("every generation has ended; stopping", StringComparison.Ordinal));
    }

    [Fact]
    public async System.Threading.Tasks.Task As_root_with_user_nobody_the_app_runs_as_nobody_and_serves_on_a_port_below_1024()
    {
        HoldApp.SkipUnlessAvailable();
        Assert.SkipUnless(Fdpass.OwnUid() == 0, "--user needs root (.ci/run runs the tests as root).");
        int port = FreePrivilegedPort();
        uint nobody = uint.Parse(Exec.Run("id", new[] { "-u", "nobody" }).Stdout.Trim(), CultureInfo.InvariantCulture);
        using HoldProcess hold = HoldProcess.Start($"tcp:127.0.0.1:{port}", "--user", "nobody");
        int pid = hold.PidOf(1);

        HttpResult answer = await HttpLoad.Once(new IPEndPoint(IPAddress.Loopback, port));

        Assert.True(answer.Ok, answer.Body);
        Assert.Equal((1, pid), Answers.Parse(answer.Body));
        string uids = File.ReadAllLines($"/proc/{pid}/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        Assert.Equal(new[] { nobody, nobody, nobody, nobody }, uids.Split('\t', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(u => uint.Parse(u, CultureInfo.InvariantCulture)));
        // Its memfd crossed to root's store and back: the next generation, also nobody, counts on from it.
        hold.Signal("HUP");
        hold.AssertLogged("generation 2 (pid", "is ready", Patience);
        hold.AssertLogged("generation 1 (pid", "drained and exited", Patience);
        Assert.Equal((2, hold.PidOf(2)), Answers.Parse((await HttpLoad.Once(new IPEndPoint(IPAddress.Loopback, port))).Body));
        Assert.Equal(0, hold.Stop("TERM"));
    }

    private static int FreePrivilegedPort()
    {
        for (int port = 981; port < 1024; port++)
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
            }
        }
        throw new InvalidOperationException("no free port from 981 to 1023 on 127.0.0.1");
    }
}
