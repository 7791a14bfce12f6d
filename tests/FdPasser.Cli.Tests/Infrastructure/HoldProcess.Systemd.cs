using System;
using System.IO;
using System.Net;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.Cli.Tests.Infrastructure;

/// <summary>fdpass hold started as a service of an outer manager: socket-activated, or with NOTIFY_SOCKET of its own.</summary>
internal sealed partial class HoldProcess
{
    /// <summary>systemd-socket-activate, from Debian's systemd package.</summary>
    public const string Activator = "/usr/bin/systemd-socket-activate";

    /// <summary>Skips the test where systemd-socket-activate is missing, saying which Debian package brings it.</summary>
    public static void SkipUnlessActivatorAvailable() =>
        Assert.SkipUnless(File.Exists(Activator), $"{Activator} is missing: install the Debian package systemd (tools only; no manager is started).");

    /// <summary>
    /// <c>systemd-socket-activate -l 127.0.0.1:PORT --fdname=web -E NOTIFY_SOCKET=… fdpass hold --listen
    /// web=inherited …</c>: the activator execs fdpass hold on the first connection, which this sends (again until
    /// one is answered) while waiting for generation 1 to be ready.
    /// </summary>
    public static HoldProcess StartActivated(int port, string notifySocket, params string[] options)
    {
        using var connecting = new CancellationTokenSource();
        Task first = Task.Run(async () =>
        {
            while (!connecting.IsCancellationRequested)
            {
                if ((await HttpLoad.Once(new IPEndPoint(IPAddress.Loopback, port)).ConfigureAwait(false)).Ok)
                {
                    return;
                }
                await Task.Delay(100).ConfigureAwait(false);
            }
        });
        string[] wrapper = { Activator, "-l", $"127.0.0.1:{port}", "--fdname=web", "-E", "NOTIFY_SOCKET=" + notifySocket };
        try
        {
            return Start("inherited", options, Array.Empty<string>(), wrapper);
        }
        finally
        {
            connecting.Cancel();
            first.Wait(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>As <see cref="StartWrapped"/>, with NOTIFY_SOCKET set for the wrapper (and so for fdpass hold).</summary>
    public static HoldProcess StartWrappedWithNotify(string notifySocket, string[] wrapper, params string[] options)
    {
        string[] withEnv = new[] { "/usr/bin/env", "NOTIFY_SOCKET=" + notifySocket };
        var all = new string[withEnv.Length + wrapper.Length];
        withEnv.CopyTo(all, 0);
        wrapper.CopyTo(all, withEnv.Length);
        return Start("tcp:127.0.0.1:0", options, Array.Empty<string>(), all);
    }

    /// <summary>A TCP port on 127.0.0.1 free a moment ago (the kernel chose it).</summary>
    public static int FreePort()
    {
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
