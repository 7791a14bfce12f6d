using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using FdPasser.Interop;
using FdPasser.Platform;
using FdPasser.Hosting;

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
            // SO_REUSEADDR lets a restarted holder bind while connections of the last one are still in TIME_WAIT.
            // Set raw: .NET's ReuseAddress also sets SO_REUSEPORT on Linux, with which a second holder (or the
            // orphaned generation of a killed one) would bind the same live port and take half its connections.
            PlatformConstants c = CliTarget.Current.Constants;
            socket.SetRawSocketOption(c.SOL_SOCKET, c.SO_REUSEADDR, BitConverter.GetBytes(1));
            socket.Bind(new IPEndPoint(spec.Address, spec.Port));
            socket.Listen();
            return new BoundListener(spec, socket, null);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException($"cannot listen on {spec}: {Describe(e)}", e);
        }
    }

    private static BoundListener BindUnix(ListenerSpec spec)
    {
        string path = spec.Path!;
        if (path.StartsWith('@'))
        {
            return BindAbstract(spec, path.Substring(1));
        }
        ClearStaleSocket(spec, path);
        SocketTransport t = CliTarget.Current.Sockets;
        SafeSocketHandle handle;
        try
        {
            handle = t.CreateSocket();
        }
        catch (FdPassingException e)
        {
            throw new IOException($"cannot listen on {spec}: {e.Message}", e);
        }
        try
        {
            BindAt(spec, t, handle, path);
            try
            {
                // Like systemd's SocketMode= default: whoever the service serves decides, not the holder's umask.
                // Set before listen(), so nobody connects meanwhile, and never through a symlink that whoever may
                // write the directory swapped in for the new file (fchmodat with AT_SYMLINK_NOFOLLOW refuses it).
                t.SetEndpointMode(path, (UnixFileMode)0b110_110_110);
                t.Listen(handle, t.Constants.SOMAXCONN);
            }
            catch
            {
                t.Unlink(path);
                throw;
            }
            return new BoundListener(spec, new Socket(handle), path);
        }
        catch (FdPassingException e)
        {
            handle.Dispose();
            throw new IOException($"cannot listen on {spec}: {e.Message}", e);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>bind(), with a missing directory said as such (.NET would call it AddressNotAvailable).</summary>
    private static void BindAt(ListenerSpec spec, SocketTransport t, SafeSocketHandle handle, string path)
    {
        try
        {
            t.Bind(handle, t.Address(path, isAbstract: false), path);
        }
        catch (FdPassingException e) when (e.Errno == CliTarget.Current.Constants.ENOENT)
        {
            string directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
            throw new IOException($"cannot listen on {spec}: the directory '{directory}' does not exist (bind: ENOENT for '{path}')", e);
        }
    }

    private static BoundListener BindAbstract(ListenerSpec spec, string name)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint("\0" + name));
            socket.Listen();
            return new BoundListener(spec, socket, null);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException($"cannot listen on {spec}: {Describe(e)}", e);
        }
    }

    /// <summary>A bind() or listen() failure by its errno name, as the rest of fdpass reports them.</summary>
    private static string Describe(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => $"EADDRINUSE: another socket is bound to this address already ({e.Message})",
        SocketError.AccessDenied => $"EACCES: not allowed to bind this address ({e.Message})",
        SocketError.AddressNotAvailable => $"EADDRNOTAVAIL: no interface of this machine has this address ({e.Message})",
        _ => $"{e.SocketErrorCode}: {e.Message}",
    };

    /// <summary>A socket file nobody listens on (left by a killed holder) is replaced; anything else is refused and left alone.</summary>
    private static void ClearStaleSocket(ListenerSpec spec, string path)
    {
        bool? isSocket = CliTarget.Current.Sockets.IsSocketFile(path);
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
