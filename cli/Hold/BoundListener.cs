using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using FdPasser.Interop;
using FdPasser.Platform;

namespace FdPasser.Cli.Hold;

/// <summary>
/// A listening socket fdpass hold bound for a <see cref="ListenerSpec"/> and keeps open for its whole life, so
/// connections wait in the backlog while no generation accepts. The socket stays blocking, as systemd passes it.
/// A socket file it created is removed on dispose.
/// </summary>
internal sealed partial class BoundListener : IDisposable
{
    private BoundListener(ListenerSpec spec, Socket socket, string? createdPath)
    {
        Spec = spec;
        Socket = socket;
        CreatedPath = createdPath;
    }

    public ListenerSpec Spec { get; }

    public Socket Socket { get; }

    /// <summary>The socket file this listener made, removed again on dispose.</summary>
    public string? CreatedPath { get; }

    /// <summary>Where it listens, as bound (a TCP port of 0 shows the port the kernel chose).</summary>
    public string Address => Spec.Kind switch
    {
        ListenerKind.Tcp => $"tcp:{Socket.LocalEndPoint}",
        ListenerKind.Inherited => InheritedAddress(),
        _ => $"unix:{Spec.Path}",
    };

    public static BoundListener Bind(ListenerSpec spec)
    {
        return spec.Kind == ListenerKind.Tcp ? BindTcp(spec) : BindUnix(spec);
    }

    private static BoundListener BindTcp(ListenerSpec spec)
    {
        var socket = new Socket(spec.Address!.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // Lets a restarted holder bind while connections of the last one are still in TIME_WAIT.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(spec.Address, spec.Port));
            socket.Listen();
            return new BoundListener(spec, socket, null);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException($"cannot listen on {spec}: {e.SocketErrorCode}: {e.Message}", e);
        }
    }

    private static BoundListener BindUnix(ListenerSpec spec)
    {
        string path = spec.Path!;
        bool isAbstract = path.StartsWith('@');
        if (!isAbstract)
        {
            ClearStaleSocket(spec, path);
        }
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(isAbstract ? "\0" + path.Substring(1) : path));
            if (!isAbstract && AbiTargets.RunsOnDescribedOs)
            {
                // Like systemd's SocketMode= default: whoever the service serves decides, not the holder's umask.
                File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110);
            }
            socket.Listen();
            return new BoundListener(spec, socket, isAbstract ? null : path);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException($"cannot listen on {spec}: {e.SocketErrorCode}: {e.Message}", e);
        }
    }

    /// <summary>A socket file nobody listens on (left by a killed holder) is replaced; anything else is refused and left alone.</summary>
    private static void ClearStaleSocket(ListenerSpec spec, string path)
    {
        bool? isSocket = Transports.Socket.IsSocketFile(path);
        if (isSocket is null)
        {
            return;
        }
        if (isSocket == false)
        {
            throw new IOException($"cannot listen on {spec}: something that is not a socket is at '{path}'; remove it or choose another path");
        }
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            File.Delete(path);
            return;
        }
        throw new IOException($"cannot listen on {spec}: a server is listening at '{path}' already");
    }

    public void Dispose()
    {
        Socket.Dispose();
        if (CreatedPath is not null)
        {
            File.Delete(CreatedPath);
        }
    }
}
