using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using FdPasser.Systemd;

namespace FdPasser.Cli.Hold;

/// <summary>A listener fdpass hold did not bind: its own service manager passed it (<c>--listen NAME=inherited</c>).</summary>
internal sealed partial class BoundListener
{
    /// <summary>
    /// Takes the listening socket named <c>spec.Name</c> from what fdpass hold was passed. Closing it later closes
    /// only fdpass hold's copy: the socket unit (or activator) that made it keeps it open, and so the port.
    /// </summary>
    /// <exception cref="IOException">None, or several, carry that name, or it is not a listening socket; the message names the variables.</exception>
    public static BoundListener Inherit(ListenerSpec spec, PassedListeners passed)
    {
        ListenDescriptor[] named = passed.Descriptors?.FindAll(spec.Name) ?? Array.Empty<ListenDescriptor>();
        if (named.Length == 0)
        {
            throw new IOException($"cannot take --listen {spec}: {passed.Explain(spec.Name)}");
        }
        if (named.Length > 1)
        {
            throw new IOException($"cannot take --listen {spec}: {named.Length} descriptors are named '{spec.Name}' in LISTEN_FDNAMES={passed.Names}; " +
                "give each socket its own FileDescriptorName= (one --listen takes one socket)");
        }
        ListenDescriptor d = named[0];
        if (d.Kind != DescriptorKind.Socket || !d.IsListening)
        {
            throw new IOException($"cannot take --listen {spec}: LISTEN_FDNAMES names {d}, which is not a listening socket");
        }
        return new BoundListener(spec, d.TakeSocket(), null);
    }

    /// <summary>A listener handed over by the program this fdpass hold ran before an upgrade, with the socket file it made.</summary>
    public static BoundListener Adopt(ListenerSpec spec, Socket socket, string? createdPath) => new(spec, socket, createdPath);

    private string InheritedAddress()
    {
        EndPoint? local;
        try
        {
            local = Socket.LocalEndPoint;
        }
        catch (SocketException)
        {
            local = null;
        }
        return local switch
        {
            IPEndPoint ip => $"inherited tcp:{ip}",
            UnixDomainSocketEndPoint unix => $"inherited unix:{unix}",
            _ => $"inherited {Socket.AddressFamily} socket",
        };
    }
}
