using System;
using System.Net.Sockets;
using System.Threading;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Systemd;

/// <summary>
/// One descriptor passed to this process at start (socket activation, or a service manager's descriptor store),
/// owned until taken: disposing it closes the descriptor unless <see cref="TakeFileHandle"/> or
/// <see cref="TakeSocket"/> took it first.
/// </summary>
public sealed class ListenDescriptor : IDisposable
{
    private SafeFileHandle? _handle;

    internal ListenDescriptor(SafeFileHandle handle, string name, DescriptorKind kind, SocketType socketType, bool isListening)
    {
        _handle = handle;
        Number = (int)handle.DangerousGetHandle();
        Name = name;
        Kind = kind;
        SocketType = socketType;
        IsListening = isListening;
    }

    /// <summary>The descriptor's name from LISTEN_FDNAMES (or FDNAME= when it was stored); "unknown" where none was given.</summary>
    public string Name { get; }

    /// <summary>The descriptor number (3, 4, …); valid while this object owns it or whoever took it keeps it open.</summary>
    public int Number { get; }

    /// <summary>What the descriptor refers to.</summary>
    public DescriptorKind Kind { get; }

    /// <summary>For a socket, its type from SO_TYPE; <see cref="SocketType.Unknown"/> otherwise.</summary>
    public SocketType SocketType { get; }

    /// <summary>True for a socket that is listening (SO_ACCEPTCONN): one to accept connections on.</summary>
    public bool IsListening { get; }

    /// <summary>True until the descriptor is taken or disposed.</summary>
    public bool IsOwned => Volatile.Read(ref _handle) is not null;

    /// <summary>The owned handle, for calls that borrow it; null once taken or disposed.</summary>
    public SafeFileHandle? Handle => Volatile.Read(ref _handle);

    /// <summary>Takes ownership of the descriptor as a file handle (files, FIFOs, memory files; sockets too).</summary>
    /// <exception cref="InvalidOperationException">It was taken or disposed already.</exception>
    public SafeFileHandle TakeFileHandle() =>
        Interlocked.Exchange(ref _handle, null)
        ?? throw new InvalidOperationException($"Descriptor {Number} ('{Name}') was taken or disposed already.");

    /// <summary>Takes ownership of a socket descriptor as a <see cref="Socket"/>, which closes it when disposed.</summary>
    /// <exception cref="InvalidOperationException">It is not a socket, or was taken or disposed already.</exception>
    public Socket TakeSocket()
    {
        if (Kind != DescriptorKind.Socket)
        {
            throw new InvalidOperationException($"Descriptor {Number} ('{Name}') is a {Kind}, not a socket.");
        }
        return FdHandles.ToSocket(TakeFileHandle());
    }

    /// <summary>Closes the descriptor unless it was taken.</summary>
    public void Dispose() => Interlocked.Exchange(ref _handle, null)?.Dispose();

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name} (fd {Number}, {(Kind == DescriptorKind.Socket ? $"{SocketType} socket{(IsListening ? ", listening" : "")}" : Kind.ToString())})";
}
