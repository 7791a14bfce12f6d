using System;
using System.IO;
using System.Net.Sockets;
using System.Text;
using FdPasser.Cli.Server;
using FdPasser.Interop;
using FdPasser.Platform;
using Microsoft.Win32.SafeHandles;
using FdPasser.Hosting;

namespace FdPasser.Cli.Commands;

/// <summary>The demo's second process: asks for the file the classic way, then takes the socket it is sent.</summary>
internal sealed class DemoClient
{
    /// <summary>The demo's own second request (not part of the classic protocol): "now pass me a socket".</summary>
    public const string SocketRequest = "socket please";

    private readonly TextWriter _output;
    private readonly string _prefix = $"[client pid {Environment.ProcessId}]";

    public DemoClient(TextWriter output)
    {
        _output = output;
    }

    private void Say(string line) => _output.WriteLine($"{_prefix} {line}");

    public int Run(string endpoint)
    {
        PlatformConstants abi = CliTarget.Current.Constants;
        using FdChannel channel = FdChannel.Connect(endpoint);
        channel.Timeout = TimeSpan.FromSeconds(30);
        string request = $"open {DemoServer.FileName} {abi.O_RDONLY}";
        Say($"connected to {endpoint} on descriptor {channel.Descriptor}; sending \"{request}\\0\" ({OpenFlags.Describe(abi.O_RDONLY, abi)})");
        channel.SendRaw(Encoding.UTF8.GetBytes(request + "\0"), ReadOnlySpan<int>.Empty);

        using (SafeFileHandle file = channel.ReceiveDescriptor())
        {
            long fd = file.DangerousGetHandle();
            string access = FdHandles.GetAccess(file) switch
            {
                FileAccess.Read => "read-only",
                FileAccess.Write => "write-only",
                _ => "read-write",
            };
            using FileStream stream = FdHandles.ToFileStream(file);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            string text = reader.ReadToEnd();
            Say($"received descriptor {fd} ({access}); read {Encoding.UTF8.GetByteCount(text)} bytes through it: \"{text.TrimEnd('\n')}\"");
        }

        Say($"sending \"{SocketRequest}\\0\"");
        channel.SendRaw(Encoding.UTF8.GetBytes(SocketRequest + "\0"), ReadOnlySpan<int>.Empty);
        SafeFileHandle received = channel.ReceiveDescriptor();
        long socketFd = received.DangerousGetHandle();
        using Socket socket = FdHandles.ToSocket(received);
        socket.ReceiveTimeout = 30_000;
        byte[] buffer = new byte[256];
        int n = socket.Receive(buffer);
        Say($"received descriptor {socketFd}, a connected {socket.AddressFamily} {socket.SocketType} socket; read {n} bytes through it: \"{Encoding.UTF8.GetString(buffer, 0, n)}\"");
        string pong = $"pong from pid {Environment.ProcessId}, through the socket it was passed";
        Say($"writing {Encoding.UTF8.GetByteCount(pong)} bytes back through descriptor {socketFd}, then exiting");
        socket.Send(Encoding.UTF8.GetBytes(pong));
        return 0;
    }
}
