using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FdPasser.Cli.Tests.Infrastructure;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>
/// fdpass hold as the handover broker, over Hold/App/handover_app.py (a Python peer of docs/handover.md): a client's
/// connection and its per-connection count travel from generation to generation across reloads.
/// </summary>
[Collection("fdpass hold")]
public sealed class HoldHandoverTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private sealed class LineClient : IDisposable
    {
        private readonly Socket _socket;
        private readonly StreamReader _reader;

        public LineClient(int port)
        {
            _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 20_000 };
            _socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
            _reader = new StreamReader(new NetworkStream(_socket), Encoding.ASCII);
        }

        /// <summary>Sends a line; returns the pid and the count of the answer.</summary>
        public (int Pid, int Count) Ask()
        {
            _socket.Send("hello\n"u8);
            string? line = _reader.ReadLine();
            Assert.NotNull(line);
            string[] words = line.Split(' ');
            Assert.True(words.Length == 4 && words[0] == "pid" && words[2] == "count", $"unexpected answer '{line}'");
            return (int.Parse(words[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(words[3], System.Globalization.CultureInfo.InvariantCulture));
        }

        public void Dispose()
        {
            _reader.Dispose();
            _socket.Dispose();
        }
    }

    [Fact]
    public void A_live_connection_and_its_state_move_to_the_next_generation_and_stay_with_the_old_one_when_the_new_one_dies_before_commit()
    {
        HoldApp.SkipUnlessAvailable();
        using HoldProcess hold = HoldProcess.StartApp("handover_app.py");
        using var client = new LineClient(hold.Port);
        Assert.Equal((hold.PidOf(1), 1), client.Ask());

        // Reload: generation 2 is ready, hold introduces 1 to 2, then SIGTERM to 1, which hands the connection over.
        hold.Signal("HUP");
        hold.AssertLogged("generation 1: introduced to generation 2", "for a handover", Patience);
        hold.AssertLogged("generation 1 (pid", "exited", Patience);
        Assert.Equal((hold.PidOf(2), 2), client.Ask());

        // A release that dies after PREPARED, before the commit: generation 2 keeps its connection and its count.
        File.WriteAllText(hold.ReleaseFile, "die-after-prepared");
        hold.Signal("HUP");
        hold.AssertLogged("generation 2: introduced to generation 3", "for a handover", Patience);
        hold.AssertLogged("generation 3 (pid", "exit", Patience);
        Assert.Equal((hold.PidOf(2), 3), client.Ask());
        Assert.Equal((hold.PidOf(2), 4), client.Ask());
    }
}
