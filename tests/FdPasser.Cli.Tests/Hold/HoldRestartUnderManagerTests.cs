using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Cli.Tests.Infrastructure;
using FdPasser.Processes;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>
/// A restart of fdpass hold itself under a manager that owns the port (a .socket unit): this test is the manager,
/// keeping the listening socket and starting fdpass hold with it in systemd's layout. systemd-socket-activate
/// execs its program in its own process and cannot start it again, so it cannot play this part.
/// </summary>
[Collection("fdpass hold")]
public sealed partial class HoldRestartUnderManagerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_restarted_hold_takes_the_listener_its_manager_kept_and_connections_made_meanwhile_are_served()
    {
        HoldApp.SkipUnlessAvailable();
        string dir = Directory.CreateTempSubdirectory("fdp-hold-restart-").FullName;
        try
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(64);
            var endpoint = (IPEndPoint)listener.LocalEndPoint!;

            (ChildProcess first, string firstLog) = StartHold(listener, dir, "first");
            int gen1 = ReadyGeneration(first, firstLog);
            Assert.Equal((1, gen1), Answers.Parse((await HttpLoad.Once(endpoint)).Body));

            // As systemd restarts a service with KillMode=mixed after its main process died: what is left is killed.
            first.Kill();
            Assert.True(first.WaitForExit(Patience));
            Exec.Run("kill", new[] { "-KILL", gen1.ToString(CultureInfo.InvariantCulture) });
            WaitGone(gen1);

            // Nothing accepts now; the kept listener's backlog holds these until the next fdpass hold serves them.
            Task<HttpResult>[] meanwhile = Enumerable.Range(0, 4).Select(_ => HttpLoad.Once(endpoint)).ToArray();
            (ChildProcess second, string secondLog) = StartHold(listener, dir, "second");
            int gen1Again = ReadyGeneration(second, secondLog);
            HttpResult[] answers = await Task.WhenAll(meanwhile);
            Assert.All(answers, a => Assert.True(a.Ok, "a connection made while fdpass hold restarted was not served: " + a.Body));
            Assert.All(answers, a => Assert.Equal(gen1Again, Answers.Parse(a.Body).Pid));
            Assert.Contains("listening on web=inherited tcp:127.0.0.1:" + endpoint.Port.ToString(CultureInfo.InvariantCulture), File.ReadAllText(secondLog), StringComparison.Ordinal);

            Assert.True(second.Signal(System.Runtime.InteropServices.PosixSignal.SIGTERM));
            Assert.True(second.WaitForExit(Patience), File.ReadAllText(secondLog));
            Assert.Equal(0, (await second.Exited).ExitCode);
            // fdpass hold closed only its copy: the manager's listener still takes connections.
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await probe.ConnectAsync(endpoint, TestContext.Current.CancellationToken);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (ChildProcess Hold, string Log) StartHold(Socket listener, string dir, string which)
    {
        string log = Path.Combine(dir, which + ".log");
        using Microsoft.Win32.SafeHandles.SafeFileHandle output = File.OpenHandle(log, FileMode.Create, FileAccess.Write);
        var start = new ChildProcessOptions(Fdpass.Binary, "hold", "--listen", "web=inherited", "--control", Path.Combine(dir, which + ".sock"),
            "--", HoldApp.Python, HoldApp.Script)
        {
            StandardOutput = output,
            StandardError = output,
        };
        start.PassDescriptor(listener.SafeHandle, "web");
        return (ChildProcess.Start(start), log);
    }

    /// <summary>Waits for generation 1 to be ready and returns its pid.</summary>
    private static int ReadyGeneration(ChildProcess hold, string log)
    {
        DateTime deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            string text = File.ReadAllText(log);
            Match m = ReadyLine().Match(text);
            if (m.Success)
            {
                return int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            }
            Assert.True(DateTime.UtcNow < deadline && !hold.HasExited, "generation 1 was not ready:\n" + text);
            Thread.Sleep(100);
        }
    }

    private static void WaitGone(int pid)
    {
        DateTime deadline = DateTime.UtcNow + Patience;
        while (HoldProcess.IsRunning(pid))
        {
            Assert.True(DateTime.UtcNow < deadline, $"pid {pid} did not end after SIGKILL");
            Thread.Sleep(50);
        }
    }

    [GeneratedRegex(@"generation 1 \(pid (\d+)\) is ready")]
    private static partial Regex ReadyLine();
}
