using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using FdPasser.Tests.Support;
using FdPasser.TestSupport;

namespace FdPasser.Tests.Systemd;

/// <summary>systemd-socket-activate (Debian's systemd) starting a program of ours with a named listener.</summary>
public class SocketActivateTests
{
    [Fact]
    public async Task A_program_started_by_systemd_socket_activate_gets_its_named_listener_and_serves()
    {
        string? activate = Peers.FindOnPath("systemd-socket-activate") ?? (System.IO.File.Exists("/usr/bin/systemd-socket-activate") ? "/usr/bin/systemd-socket-activate" : null);
        if (activate is null)
        {
            Assert.Skip("systemd-socket-activate is missing: install the Debian package systemd.");
        }
        int port = FreePort();
        using Process activator = Peers.Start(activate,
            ["-l", $"127.0.0.1:{port}", "--fdname=web", .. Peers.TestPeerCommand, "listen-serve", "web"]);
        try
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await ConnectWithRetryAsync(client, port);
            var buffer = new byte[256];
            int total = 0, n;
            // The program starts at the first connection: under emulation that alone takes seconds of emulated CPU.
            client.ReceiveTimeout = (int)TestTiming.Seconds(30).TotalMilliseconds;
            while ((n = client.Receive(buffer, total, buffer.Length - total, SocketFlags.None)) > 0)
            {
                total += n;
            }
            string answer = Encoding.UTF8.GetString(buffer, 0, total);
            Assert.StartsWith("hello web from pid ", answer);
            Assert.EndsWith("(1 passed)", answer);
        }
        finally
        {
            activator.Kill(entireProcessTree: true);
            activator.WaitForExit(10_000);
        }
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static async Task ConnectWithRetryAsync(Socket client, int port)
    {
        for (int i = 0; ; i++)
        {
            try
            {
                await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
                return;
            }
            catch (SocketException) when (i < 100 * TestTiming.Scale)
            {
                await Task.Delay(100);
            }
        }
    }
}
