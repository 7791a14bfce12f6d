using System.Net.Sockets;
using FdPasser.Systemd;

namespace FdPasser.AspNetCore;

/// <summary>What listener selection needs to know of one inherited descriptor (no I/O: tests build these by hand).</summary>
internal readonly record struct InheritedDescriptorInfo(string Name, int Number, DescriptorKind Kind, SocketType SocketType, bool IsListening)
{
    public static InheritedDescriptorInfo Of(ListenDescriptor d) => new(d.Name, d.Number, d.Kind, d.SocketType, d.IsListening);

    /// <summary>A socket Kestrel can accept connections on.</summary>
    public bool IsStreamListener => Kind == DescriptorKind.Socket && SocketType == SocketType.Stream && IsListening;

    public override string ToString() =>
        $"{Name} (fd {Number}, {(Kind == DescriptorKind.Socket ? $"{SocketType} socket{(IsListening ? ", listening" : ", not listening")}" : Kind.ToString())})";
}
